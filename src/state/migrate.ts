import type { StateOp, StateStore } from './store.js';

export interface MigrationReport {
  /** Golden companies and contacts rewritten without their stored provenance. */
  companies: number;
  contacts: number;
  /** Entries of the match-key index deleted. */
  matchKeys: number;
}

const BATCH_OPS = 2_000;

/**
 * Converts a state directory written before format 2 (golden states with `provenance`, a
 * `matchKeys` index) to format 2, in place. Golden records, hashes, delivery marks and CRM ids are
 * left exactly as they are: only what format 2 rebuilds on demand is dropped. Idempotent, and
 * safe to stop halfway (every batch leaves a state that both formats read), so a second run
 * finishes the job and then reports nothing to do. Run it with the service stopped: the store has
 * one writer.
 */
export async function migrateState(store: StateStore): Promise<MigrationReport> {
  const report: MigrationReport = { companies: 0, contacts: 0, matchKeys: 0 };
  let ops: StateOp[] = [];
  const flush = async () => {
    if (ops.length) await store.batch(ops);
    ops = [];
  };
  const push = async (op: StateOp) => {
    ops.push(op);
    if (ops.length >= BATCH_OPS) await flush();
  };
  // Iterators read a snapshot, so rewriting the entries they pass does not disturb them.
  for (const ns of ['companies', 'contacts'] as const) {
    for await (const [key, value] of store.iterate(ns)) {
      if (!('provenance' in value)) continue;
      const { provenance: _, ...rest } = value as typeof value & { provenance?: unknown };
      await push({ type: 'put', ns, key, value: rest } as StateOp);
      report[ns]++;
    }
  }
  for await (const [key] of store.iterate('matchKeys')) {
    await push({ type: 'del', ns: 'matchKeys', key });
    report.matchKeys++;
  }
  await flush();
  return report;
}
