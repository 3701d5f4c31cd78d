import type { KeyRange, Namespace, NamespaceValues, StateOp, StateStats, StateStore } from './store.js';

/**
 * A StateStore that adds something to another store's writes (the HA changelog, the fence's
 * watch): reads go to the inner store as they are; subclasses write.
 */
export abstract class WrappingStateStore implements StateStore {
  constructor(protected readonly inner: StateStore) {}

  get kind(): StateStore['kind'] {
    return this.inner.kind;
  }

  abstract batch(ops: readonly StateOp[]): Promise<void>;

  get<N extends Namespace>(ns: N, key: string): Promise<NamespaceValues[N] | undefined> {
    return this.inner.get(ns, key);
  }

  getMany<N extends Namespace>(ns: N, keys: readonly string[]): Promise<Array<NamespaceValues[N] | undefined>> {
    return this.inner.getMany(ns, keys);
  }

  iterate<N extends Namespace>(ns: N, range?: KeyRange): AsyncIterable<[string, NamespaceValues[N]]> {
    return this.inner.iterate(ns, range);
  }

  count(ns: Namespace, range?: KeyRange): Promise<number> {
    return this.inner.count(ns, range);
  }

  stats(): Promise<StateStats> {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
