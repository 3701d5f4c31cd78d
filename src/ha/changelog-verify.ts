import { createHash } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { CrmUnifyError } from '../core/errors.js';
import { namespaces, type StateStore } from '../state/store.js';
import { decodeRecord } from './changelog-codec.js';
import { appliedOffset, appliedOffsetKey } from './changelog-offset.js';
import { ChangelogReader, type ReaderOptions } from './changelog-reader.js';

export interface VerifyResult {
  /** The changelog offset the state holds: the comparison reads the changelog up to it. */
  offset: string;
  /** Keys compared (present on either side). */
  keys: number;
  /** In the changelog, not in the state. */
  missing: number;
  /** In the state, not in the changelog (or deleted there). */
  extra: number;
  /** On both sides with different values. */
  different: number;
  /** A few keys of each kind (`<namespace>/<key>`), never values. */
  examples: { missing: string[]; extra: string[]; different: string[] };
}

const EXAMPLES = 5;

/**
 * Compares a state with the changelog up to the offset the state holds: the changelog read from
 * the start keeps, per key, a digest of its latest value (a tombstone removes it); then every
 * namespace of the state is walked (except its own applied-offset key). Values are compared as
 * the JSON LevelDB stores, and never printed.
 */
export async function verifyAgainstChangelog(store: StateStore, opts: ReaderOptions): Promise<VerifyResult> {
  const held = await appliedOffset(store, opts.topic);
  if (held === null) {
    throw new CrmUnifyError(
      'CHANGELOG_FAILED',
      `the state holds no offset of ${opts.topic}: it was not written with ha.enabled, nor restored from it`,
    );
  }
  const expected = await latestDigests(opts, BigInt(held));
  const result: VerifyResult = {
    offset: held,
    keys: 0,
    missing: 0,
    extra: 0,
    different: 0,
    examples: { missing: [], extra: [], different: [] },
  };
  const note = (kind: 'missing' | 'extra' | 'different', key: string) => {
    result[kind]++;
    if (result.examples[kind].length < EXAMPLES) result.examples[kind].push(key);
  };
  const offsetKey = appliedOffsetKey(opts.topic);
  for (const ns of namespaces) {
    for await (const [key, value] of store.iterate(ns)) {
      if (ns === 'positions' && key === offsetKey) continue;
      const full = `${ns}/${key}`;
      result.keys++;
      const want = expected.get(full);
      if (want === undefined) note('extra', full);
      else if (want !== digest(JSON.stringify(value))) note('different', full);
      expected.delete(full);
    }
  }
  for (const full of expected.keys()) {
    result.keys++;
    note('missing', full);
  }
  return result;
}

/** Per `<namespace>/<key>`, a digest of its latest value in the changelog up to `last` (inclusive). */
async function latestDigests(opts: ReaderOptions, last: bigint): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const take = async (messages: readonly KafkaMessage[]) => {
    for (const m of messages) {
      if (BigInt(m.offset) > last) break;
      const op = decodeRecord(m); // checks the format; the digest is of the raw JSON
      const full = `${op.ns}/${op.key}`;
      if (op.type === 'del') digests.delete(full);
      else digests.set(full, digest(m.value!));
    }
  };
  const reader = new ChangelogReader(opts, take);
  const end = await reader.open();
  if (last >= end) {
    await reader.stop();
    throw new CrmUnifyError(
      'CHANGELOG_FAILED',
      `the state holds changelog offset ${last} but ${opts.topic} ends before it: the topic was recreated ` +
        "or is another deployment's",
    );
  }
  try {
    await reader.start(0n);
    await reader.reached(last + 1n);
  } finally {
    await reader.stop();
  }
  return digests;
}

function digest(json: string | Buffer): string {
  return createHash('sha1').update(json).digest('base64').slice(0, 16);
}
