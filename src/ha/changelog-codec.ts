import { CrmUnifyError } from '../core/errors.js';
import type { EncodedOp } from '../state/level-store.js';
import { namespaces, type Namespace, type StateOp } from '../state/store.js';

/**
 * The state changelog's message format: one Kafka message per StateOp, at the key-value level, so
 * the changelog does not depend on how the state lays out its records. Key `<namespace>/<key>`
 * (UTF-8), value the JSON of the value (what LevelDB stores), a null value (tombstone) for a
 * delete, and the header `v` naming this format. Namespaces never contain `/`; keys may.
 */
export const CHANGELOG_CODEC_VERSION = '1';

export interface ChangelogMessage {
  key: Buffer;
  value: Buffer | null;
  headers: { v: string };
  /** Always 0 (one partition): set, so kafkajs does not hash every key to find it. */
  partition: 0;
}

/** Bytes a message adds to a record batch: key, value, header and the record's own varints. */
export function messageBytes(m: ChangelogMessage): number {
  return m.key.length + (m.value?.length ?? 0) + RECORD_OVERHEAD;
}

/** Attributes, timestamp and offset deltas, lengths, the `v` header: about 25 bytes; rounded up. */
const RECORD_OVERHEAD = 32;

const headers = { v: CHANGELOG_CODEC_VERSION } as const;
const known = new Set<string>(namespaces);

/**
 * Encodes one op. A put whose value JSON cannot carry (undefined, null, a function) is refused
 * here, as LevelDB would refuse it, so that nothing of its batch reaches the changelog.
 */
export function encodeOp(op: StateOp): ChangelogMessage {
  const key = Buffer.from(`${op.ns}/${op.key}`, 'utf8');
  if (op.type === 'del') return { key, value: null, headers, partition: 0 };
  const json = op.value === null ? undefined : (JSON.stringify(op.value) as string | undefined);
  if (json === undefined) {
    // The key may hold personal data (an e-mail in a match key): name the namespace only.
    throw new CrmUnifyError('STATE_STORE_FAILED', `state store: a put in ${op.ns} has no value (null or undefined)`);
  }
  return { key, value: Buffer.from(json, 'utf8'), headers, partition: 0 };
}

/** A message as a consumer hands it over (kafkajs: header values are Buffers). */
export interface ChangelogRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
  offset: string;
}

/**
 * The op a message mirrors with its value left as the JSON bytes it carries, for a store that
 * takes them as they are (LevelDB stores the same bytes): nothing parsed, nothing encoded again.
 */
export function decodeRecordEncoded(r: ChangelogRecord): EncodedOp {
  const { ns, key } = decodeKey(r);
  return r.value === null ? { type: 'del', ns, key } : { type: 'put', ns, key, json: r.value };
}

/** The op of a message that `ops[i]` was encoded into, with the message's bytes as its value. */
export function encodedOpOf(op: StateOp, m: ChangelogMessage): EncodedOp {
  return op.type === 'put' ? { type: 'put', ns: op.ns, key: op.key, json: m.value! } : op;
}

/** Decodes one message back into the op it mirrors; anything this release cannot read is CHANGELOG_FAILED. */
export function decodeRecord(r: ChangelogRecord): StateOp {
  const { ns, key } = decodeKey(r);
  if (r.value === null) return { type: 'del', ns, key } as StateOp;
  return { type: 'put', ns, key, value: JSON.parse(r.value.toString('utf8')) as never } as StateOp;
}

function decodeKey(r: ChangelogRecord): { ns: Namespace; key: string } {
  const v = r.headers?.v;
  const version = Array.isArray(v) ? v[0]?.toString() : v?.toString();
  if (version !== CHANGELOG_CODEC_VERSION) {
    throw unreadable(r.offset, `format version ${version ?? '(none)'}; this release reads ${CHANGELOG_CODEC_VERSION}`);
  }
  const full = r.key?.toString('utf8') ?? '';
  const slash = full.indexOf('/');
  const ns = full.slice(0, Math.max(slash, 0));
  if (slash < 0 || !known.has(ns)) {
    throw unreadable(r.offset, `unknown namespace "${ns}" (written by a newer release?)`);
  }
  return { ns: ns as Namespace, key: full.slice(slash + 1) };
}

function unreadable(offset: string, why: string): CrmUnifyError {
  return new CrmUnifyError('CHANGELOG_FAILED', `state changelog message at offset ${offset} is unreadable: ${why}`, {
    details: { offset },
  });
}

/**
 * Splits messages into groups of at most `maxBytes` (and `maxMessages`) each; a single larger
 * message goes alone. kafkajs writes one partition's messages of one `send` as one record batch,
 * and the broker refuses a batch over the topic's max.message.bytes.
 */
export function splitByBytes<T extends ChangelogMessage>(
  messages: readonly T[],
  maxBytes: number,
  maxMessages = Number.POSITIVE_INFINITY,
): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = BATCH_OVERHEAD;
  for (const m of messages) {
    const size = messageBytes(m);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxMessages)) {
      groups.push(current);
      current = [];
      bytes = BATCH_OVERHEAD;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** A record batch's header (61 bytes). */
const BATCH_OVERHEAD = 61;
