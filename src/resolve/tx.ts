import type { Namespace, NamespaceValues, StateOp } from '../state/store.js';

/**
 * A synchronous read/write set over cached state. Resolution logic runs synchronously on it:
 * a read of something not yet in memory throws NeedKeys, the caller loads those keys and runs
 * the logic again from the start. Because the logic never awaits, two changes can never
 * interleave inside it: a change to a company always sees every earlier change to it.
 */
export class NeedKeys {
  // Deliberately not an Error: it is thrown on every cache miss, and capturing a stack trace
  // each time showed up as a top cost in the benchmark profile.
  constructor(readonly wanted: ReadonlyArray<readonly [Namespace, string]>) {}
}

/** Synchronous access to what is in memory. */
export interface CachedReader {
  /** `hit: false` when the key's current value is not known in memory. */
  peek<N extends Namespace>(ns: N, key: string): { hit: true; value: NamespaceValues[N] | undefined } | { hit: false };
}

const DELETED = Symbol('deleted');

export class Tx {
  private readonly writes = new Map<string, { ns: Namespace; key: string; value: unknown }>();

  constructor(private readonly reader: CachedReader) {}

  /** The value, seeing this transaction's own writes. Values are shared: never mutate them. */
  get<N extends Namespace>(ns: N, key: string): NamespaceValues[N] | undefined {
    const w = this.writes.size ? this.writes.get(`${ns}\u0000${key}`) : undefined;
    if (w) return w.value === DELETED ? undefined : (w.value as NamespaceValues[N]);
    const r = this.reader.peek(ns, key);
    if (!r.hit) throw new NeedKeys([[ns, key]]);
    return r.value;
  }

  /** Several values; every missing one is reported in a single NeedKeys, to load them in one round. */
  getMany<N extends Namespace>(ns: N, keys: readonly string[]): Array<NamespaceValues[N] | undefined> {
    const out: Array<NamespaceValues[N] | undefined> = [];
    const missing: Array<[Namespace, string]> = [];
    const own = this.writes.size > 0;
    for (const key of keys) {
      const w = own ? this.writes.get(`${ns}\u0000${key}`) : undefined;
      if (w) {
        out.push(w.value === DELETED ? undefined : (w.value as NamespaceValues[N]));
        continue;
      }
      const r = this.reader.peek(ns, key);
      if (r.hit) out.push(r.value);
      else missing.push([ns, key]);
    }
    if (missing.length) throw new NeedKeys(missing);
    return out;
  }

  put<N extends Namespace>(ns: N, key: string, value: NamespaceValues[N]): void {
    this.writes.set(`${ns}\u0000${key}`, { ns, key, value });
  }

  del(ns: Namespace, key: string): void {
    this.writes.set(`${ns}\u0000${key}`, { ns, key, value: DELETED });
  }

  /** Adds a prepared op (e.g. from a state helper) to the write set. */
  apply(op: StateOp): void {
    if (op.type === 'put') this.put(op.ns, op.key, op.value);
    else this.del(op.ns, op.key);
  }

  /** The writes as batch ops, one per key (the last write of each key). */
  ops(): StateOp[] {
    return [...this.writes.values()].map(
      ({ ns, key, value }) =>
        (value === DELETED ? { type: 'del', ns, key } : { type: 'put', ns, key, value }) as StateOp,
    );
  }
}
