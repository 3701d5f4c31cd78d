import { MemoryStateStore } from '../src/state/memory-store.js';
import type { KeyRange, Namespace, NamespaceValues, StateOp } from '../src/state/store.js';

/**
 * A state store that costs nothing: values stay the objects the resolver wrote (no encoding, no
 * copy, no disk). Not a real store (readers share the writer's objects); the core benchmark runs
 * over it with CORE_STORE=heap to bound what any state layout could gain: the core's speed with
 * the state store's cost at zero. Scans (dedup scoring) go through the JSON store it extends.
 */
export class HeapStateStore extends MemoryStateStore {
  private readonly objects = new Map<string, unknown>();
  private pending: StateOp[] = [];

  override get<N extends Namespace>(ns: N, key: string): Promise<NamespaceValues[N] | undefined> {
    return Promise.resolve(this.objects.get(`${ns}\u0000${key}`) as NamespaceValues[N] | undefined);
  }

  override getMany<N extends Namespace>(
    ns: N,
    keys: readonly string[],
  ): Promise<Array<NamespaceValues[N] | undefined>> {
    return Promise.resolve(keys.map((k) => this.objects.get(`${ns}\u0000${k}`) as NamespaceValues[N] | undefined));
  }

  override batch(ops: readonly StateOp[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.objects.set(`${op.ns}\u0000${op.key}`, op.value);
      else this.objects.delete(`${op.ns}\u0000${op.key}`);
      this.pending.push(op);
    }
    return Promise.resolve();
  }

  override async *iterate<N extends Namespace>(ns: N, range?: KeyRange): AsyncIterable<[string, NamespaceValues[N]]> {
    await this.materialize();
    yield* super.iterate(ns, range);
  }

  override async count(ns: Namespace, range?: KeyRange): Promise<number> {
    await this.materialize();
    return super.count(ns, range);
  }

  private async materialize(): Promise<void> {
    const ops = this.pending;
    this.pending = [];
    if (ops.length) await super.batch(ops);
  }
}
