import { namespaces, type Namespace, type NamespaceValues, type StateOp, type StateStore } from '../state/store.js';
import type { CachedReader } from './tx.js';

/**
 * `epoch`: the batch that wrote it (-1: read from the store). `dirty`: its batch is not durable
 * yet (never evicted). `ref`: read since it last went round the eviction clock.
 */
type Entry = { value: unknown; epoch: number; dirty: boolean; ref: boolean; ns: Namespace; key: string };

/**
 * A write-through cache of the namespaces resolution reads, valid because the process is the
 * store's single writer: every write goes through `stage`, so what the cache holds is never
 * older than the store. Uncommitted writes stay dirty until their batch commits; clean entries
 * are kept up to `capacity` (absent keys are cached too: new INNs are the common case and must
 * not cost a read each time) and evicted least-recently-used first, approximated by a clock
 * (second chance): a hit only sets a flag, instead of moving the entry in an LRU list (moving
 * it on every hit was a top cost of the benchmark profile).
 */
export class StateCache implements CachedReader {
  /** One table per namespace: keys are looked up as they are, without building `ns + key` strings. */
  private readonly tables = new Map<Namespace, Map<string, Entry>>(namespaces.map((ns) => [ns, new Map()]));
  /** Clean entries in clock order (stale items, whose entry was replaced or dropped, are skipped). */
  private clock: Entry[] = [];
  private hand = 0;
  private cleanCount = 0;
  private dirtyCount = 0;
  /** Start epochs of reads in flight: entries written since the oldest of them are not evicted. */
  private readonly reads = new Map<number, number>();
  private readCounter = 0;
  private queued: { keys: Map<Namespace, Set<string>>; done: Promise<void> } | null = null;
  hits = 0;
  misses = 0;

  constructor(
    private readonly store: StateStore,
    private readonly capacity: number,
    private readonly cached: ReadonlySet<Namespace>,
  ) {}

  peek<N extends Namespace>(ns: N, key: string): { hit: true; value: NamespaceValues[N] | undefined } | { hit: false } {
    const e = this.tables.get(ns)!.get(key);
    if (!e) {
      this.misses++;
      return { hit: false };
    }
    e.ref = true;
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
      q.done = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => {
          this.queued = null;
          return this.read(batch.keys);
        })
        .finally(() => this.reads.delete(id));
    }
    for (const [ns, key] of wanted) {
      let set = q.keys.get(ns);
      if (!set) q.keys.set(ns, (set = new Set()));
      set.add(key);
    }
    return q.done;
  }

  private async read(byNs: Map<Namespace, Set<string>>): Promise<void> {
    // What resolution reads next is known from what it reads now (a link names its golden
    // company, a company lists its golden contacts): following it here saves a rerun and a
    // round trip per level.
    for (let level = 0; level < 3 && byNs.size; level++) {
      const results = await Promise.all(
        [...byNs].map(async ([ns, set]) => {
          const table = this.tables.get(ns)!;
          const keys = [...set].filter((k) => !table.has(k));
          return [ns, keys, await this.store.getMany(ns, keys)] as const;
        }),
      );
      const next = new Map<Namespace, Set<string>>();
      const follow = (ns: Namespace, key: string) => {
        if (this.tables.get(ns)!.has(key)) return;
        let set = next.get(ns);
        if (!set) next.set(ns, (set = new Set()));
        set.add(key);
      };
      for (const [ns, keys, values] of results) {
        const table = this.tables.get(ns)!;
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          if (table.has(key)) continue;
          const value = values[i];
          const e: Entry = { value, epoch: -1, dirty: false, ref: false, ns, key };
          table.set(key, e);
          this.clock.push(e);
          this.cleanCount++;
          if (!value || !this.cached.has(ns)) continue;
          if (ns === 'links') {
            const inn = (value as NamespaceValues['links']).inn;
            if (inn && this.cached.has('companies')) follow('companies', inn);
          } else if (ns === 'companies' && this.cached.has('contacts')) {
            for (const id of (value as NamespaceValues['companies']).contactIds) follow('contacts', id);
          }
        }
      }
      byNs = next;
    }
  }

  /** Records the writes of batch `epoch` (not yet committed). */
  stage(ops: readonly StateOp[], epoch: number): void {
    for (const op of ops) {
      if (!this.cached.has(op.ns)) continue;
      const table = this.tables.get(op.ns)!;
      const old = table.get(op.key);
      if (old) {
        if (old.dirty) this.dirtyCount--;
        else this.cleanCount--;
        old.value = undefined; // its clock item is stale now: it must not keep the old value alive
      }
      table.set(op.key, {
        value: op.type === 'put' ? op.value : undefined,
        epoch,
        dirty: true,
        ref: false,
        ns: op.ns,
        key: op.key,
      });
      this.dirtyCount++;
    }
  }

  /** Batch `epoch` is durable: its writes become clean (unless a later batch rewrote them). */
  committed(ops: readonly StateOp[], epoch: number): void {
    for (const op of ops) {
      const e = this.tables.get(op.ns)!.get(op.key);
      if (e && e.dirty && e.epoch === epoch) {
        e.dirty = false;
        this.dirtyCount--;
        this.cleanCount++;
        this.clock.push(e);
      }
    }
    this.evict();
  }

  /** Forgets everything (after a failed batch the cache may be ahead of the store). */
  reset(): void {
    for (const t of this.tables.values()) t.clear();
    this.clock = [];
    this.hand = 0;
    this.cleanCount = 0;
    this.dirtyCount = 0;
  }

  get size(): number {
    return this.dirtyCount + this.cleanCount;
  }

  private evict(): void {
    if (this.cleanCount <= this.capacity) {
      this.compact();
      return;
    }
    const guard = this.reads.size ? Math.min(...this.reads.values()) : Infinity;
    // Every clean entry is in the clock once; each pass gives referenced entries a second chance.
    let budget = (this.clock.length - this.hand) * 2;
    while (this.cleanCount > this.capacity && this.hand < this.clock.length && budget-- > 0) {
      const e = this.clock[this.hand++]!;
      const table = this.tables.get(e.ns)!;
      if (table.get(e.key) !== e || e.dirty) continue; // stale: replaced, or written again since
      // A read that began before this write could otherwise re-insert the older stored value.
      if (e.ref || e.epoch >= guard) {
        e.ref = false;
        this.clock.push(e);
        continue;
      }
      table.delete(e.key);
      e.value = undefined;
      this.cleanCount--;
    }
    this.compact();
  }

  /** Drops passed and stale clock items, so the clock stays proportional to the clean entries. */
  private compact(): void {
    const live = this.clock.length - this.hand;
    if (live <= 2 * this.cleanCount + 4096) {
      if (this.hand > 4096 && this.hand * 2 > this.clock.length) {
        this.clock = this.clock.slice(this.hand);
        this.hand = 0;
      }
      return;
    }
    const next: Entry[] = [];
    for (let i = this.hand; i < this.clock.length; i++) {
      const e = this.clock[i]!;
      if (!e.dirty && this.tables.get(e.ns)!.get(e.key) === e) next.push(e);
    }
    this.clock = next;
    this.hand = 0;
  }
}
