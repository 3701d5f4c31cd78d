import type { Kafka } from 'kafkajs';
import { CrmUnifyError } from '../core/errors.js';
import { namespaces, type StateOp, type StateStore } from '../state/store.js';
import { appliedOffsetOp } from './changelog-offset.js';
import { changelogEnd } from './changelog-topic.js';
import { ChangelogWriter } from './changelog-writer.js';

/** Whether `store` holds any key at all. */
export async function holdsState(store: StateStore): Promise<boolean> {
  for (const ns of namespaces) if ((await store.count(ns, { limit: 1 })) > 0) return true;
  return false;
}

/** A snapshot write may take minutes at seed scale; the broker's default ceiling is 15. */
const SEED_TRANSACTION_MS = 15 * 60 * 1000;

/**
 * Turning HA on over a state that exists: a changelog holding only the changes from now on would
 * restore to a fraction of the state, so the whole state goes to the (empty) changelog first, in
 * one transaction (a crash midway leaves nothing), and then the offset it reached is stored.
 * A changelog that is not empty belongs to some other state: refused.
 */
export async function seedChangelog(
  store: StateStore,
  opts: { kafka: Kafka; topic: string; transactionalId: string },
): Promise<{ offset: string | null }> {
  const admin = opts.kafka.admin();
  await admin.connect();
  try {
    const end = await changelogEnd(admin, opts.topic);
    if (end > 0n) {
      throw new CrmUnifyError(
        'CHANGELOG_FAILED',
        `the state directory holds state that ${opts.topic} does not (no changelog offset), and the changelog ` +
          'is not empty: restore the directory from it (crm-unify state restore --force), or name a new ha.app',
        { details: { topic: opts.topic, end: end.toString() } },
      );
    }
  } finally {
    await admin.disconnect();
  }
  const writer = new ChangelogWriter({ ...opts, transactionTimeoutMs: SEED_TRANSACTION_MS });
  await writer.open();
  try {
    const offset = await writer.writeStream(stateAsOps(store));
    if (offset !== null) await store.batch([appliedOffsetOp(opts.topic, offset)]);
    return { offset };
  } finally {
    await writer.close();
  }
}

/** Every key of the state as a put, in chunks; applied-offset keys are each directory's own. */
async function* stateAsOps(store: StateStore, chunk = 5_000): AsyncIterable<StateOp[]> {
  let ops: StateOp[] = [];
  for (const ns of namespaces) {
    for await (const [key, value] of store.iterate(ns)) {
      if (ns === 'positions' && key.startsWith('changelog|')) continue;
      ops.push({ type: 'put', ns, key, value } as StateOp);
      if (ops.length >= chunk) {
        yield ops;
        ops = [];
      }
    }
  }
  if (ops.length > 0) yield ops;
}
