import type { Namespace, NamespaceValues, StateOp, StateStore } from '../state/store.js';
import type { CachedReader } from './tx.js';

type Entry = { value: unknown; epoch: number };

/**
 * A write-through cache of the namespaces resolution reads, valid because the process is the
 * store's single writer: every write goes through `stage`, so what the cache holds is never
 * older than the store. Uncommitted writes stay in `dirty` until their batch commits; clean
 * entries are kept in LRU order up to `capacity` (absent keys are cached too: new INNs are the
 * common case and must not cost a read each time).
 */
export class StateCache implements CachedReader {
  private readonly dirty = new Map<string, Entry>();
  private readonly clean = new Map<string, Entry>();
  /** Start epochs of reads in flight: entries written since the oldest of them are not evicted. */
  private readonly reads = new Map<number, number>();
  private readCounter = 0;
  private queued: { keys: Map<Namespace, Set<string>>; done: Promise<void> } | null = null;
  hits = 0;
  misses = 0;

  constructor(private readonly store: StateStore, private readonly capacity: number,
    private readonly cached: ReadonlySet<Namespace>) {}

  peek<N extends Namespace>(ns: N, key: string): { hit: true; value: NamespaceValues[N] | undefined } | { hit: false } {
    const ck = `${ns}\u0000${key}`;
    let e = this.dirty.get(ck);
    if (!e) {
      e = this.clean.get(ck);
      if (!e) {
        this.misses++;
        return { hit: false };
      }
      // Re-insert: Map order is then least-recently-used first, which is what eviction walks.
      this.clean.delete(ck);
      this.clean.set(ck, e);
    }
    this.hits++;
    return { hit: true, value: e.value as NamespaceValues[N] | undefined };
  }

  /**
   * Loads keys from the store. Requests made in the same turn of the event loop are coalesced
   * into one `getMany` per namespace (many changes in flight miss at once). Results are inserted
   * only for keys the cache still does not know (anything written meanwhile is newer), all at
   * once when every read is back.
   */
  load(wanted: ReadonlyArray<readonly [Namespace, string]>, epoch: number): Promise<void> {
    let q = this.queued;
    if (!q) {
      const id = this.readCounter++;
      this.reads.set(id, epoch);
      q = this.queued = { keys: new Map(), done: null as unknown as Promise<void> };
      const batch = q;
      q.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.queued = null;
        return this.read(batch.keys);
      }).finally(() => this.reads.delete(id));
    }
    for (const [ns, key] of wanted) {
      let set = q.keys.get(ns);
      if (!set) q.keys.set(ns, (set = new Set()));
      set.add(key);
    }
    return q.done;
  }

  private async read(byNs: Map<Namespace, Set<string>>): Promise<void> {
    const results = await Promise.all([...byNs].map(async ([ns, set]) => {
      const keys = [...set].filter((k) => !this.dirty.has(`${ns}\u0000${k}`) && !this.clean.has(`${ns}\u0000${k}`));
      return [ns, keys, await this.store.getMany(ns, keys)] as const;
    }));
    for (const [ns, keys, values] of results) {
      keys.forEach((key, i) => {
        const ck = `${ns}\u0000${key}`;
        if (!this.dirty.has(ck) && !this.clean.has(ck)) this.clean.set(ck, { value: values[i], epoch: -1 });
      });
    }
  }

  /** Records the writes of batch `epoch` (not yet committed). */
  stage(ops: readonly StateOp[], epoch: number): void {
    for (const op of ops) {
      if (!this.cached.has(op.ns)) continue;
      const ck = `${op.ns}\u0000${op.key}`;
      this.clean.delete(ck);
      this.dirty.set(ck, { value: op.type === 'put' ? op.value : undefined, epoch });
    }
  }

  /** Batch `epoch` is durable: its writes become clean (unless a later batch rewrote them). */
  committed(ops: readonly StateOp[], epoch: number): void {
    for (const op of ops) {
      const ck = `${op.ns}\u0000${op.key}`;
      const e = this.dirty.get(ck);
      if (e && e.epoch === epoch) {
        this.dirty.delete(ck);
        this.clean.set(ck, e);
      }
    }
    this.evict();
  }

  /** Forgets everything (after a failed batch the cache may be ahead of the store). */
  reset(): void {
    this.dirty.clear();
    this.clean.clear();
  }

  get size(): number {
    return this.dirty.size + this.clean.size;
  }

  private evict(): void {
    let excess = this.clean.size - this.capacity;
    if (excess <= 0) return;
    const guard = this.reads.size ? Math.min(...this.reads.values()) : Infinity;
    for (const [ck, e] of this.clean) {
      if (excess <= 0) break;
      // A read that began before this write could otherwise re-insert the older stored value.
      if (e.epoch >= guard) continue;
      this.clean.delete(ck);
      excess--;
    }
  }
}
