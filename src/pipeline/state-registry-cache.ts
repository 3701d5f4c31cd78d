import type { CachedStatus, RegistryCache } from '../connectors/egrul/cache.js';
import type { RegistryStatus } from '../connectors/egrul/status.js';
import type { RegistryEntry } from '../state/records.js';
import type { StateOp, StateStore } from '../state/store.js';

/**
 * The register cache kept in the state store, so a replay (or a restart) makes no register calls.
 * The verify stage asks for many INNs at once: the look-ups (and the answers to store) of one turn
 * of the event loop go to the store together, one `getMany` and one batch instead of one call each.
 */
export class StateRegistryCache implements RegistryCache {
  private reads: { inns: string[]; done: Promise<Array<RegistryEntry | undefined>> } | undefined;
  private writes: { ops: StateOp[]; done: Promise<void> } | undefined;

  constructor(private readonly store: StateStore) {}

  async get(inn: string): Promise<CachedStatus | undefined> {
    let r = this.reads;
    if (!r) {
      const inns: string[] = [];
      r = this.reads = {
        inns,
        done: nextTurn().then(() => {
          this.reads = undefined;
          return this.store.getMany('registry', inns);
        }),
      };
    }
    const at = r.inns.push(inn) - 1;
    const entry = (await r.done)[at];
    if (!entry || typeof entry.answer !== 'object' || entry.answer === null) return undefined;
    return { status: entry.answer as RegistryStatus, checkedAt: Date.parse(entry.fetchedAt) };
  }

  async put(inn: string, entry: CachedStatus): Promise<void> {
    let w = this.writes;
    if (!w) {
      const ops: StateOp[] = [];
      w = this.writes = {
        ops,
        done: nextTurn().then(() => {
          this.writes = undefined;
          return this.store.batch(ops);
        }),
      };
    }
    w.ops.push(registryCacheOp(inn, entry));
    await w.done;
  }
}

/** The state op that caches one register answer: the shape `get` reads back. */
export function registryCacheOp(inn: string, entry: CachedStatus): StateOp {
  return {
    type: 'put',
    ns: 'registry',
    key: inn,
    value: { status: entry.status.status, fetchedAt: new Date(entry.checkedAt).toISOString(), answer: entry.status },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
