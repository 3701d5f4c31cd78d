import type { KeyRange, Namespace, NamespaceValues, StateOp, StateStats, StateStore } from '../state/store.js';

/**
 * The active instance's store, telling `onRefused` when a write fails because another instance
 * took the changelog over (its writer fenced ours), so the instance stops at once instead of
 * when the failure has worked its way up through a topology.
 */
export class FenceAwareStore implements StateStore {
  constructor(
    private readonly inner: StateStore,
    private readonly onRefused: (err: unknown) => void,
    private readonly refused: (err: unknown) => boolean,
  ) {}

  get kind(): StateStore['kind'] {
    return this.inner.kind;
  }

  async batch(ops: readonly StateOp[]): Promise<void> {
    try {
      await this.inner.batch(ops);
    } catch (err) {
      if (this.refused(err)) this.onRefused(err);
      throw err;
    }
  }

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
