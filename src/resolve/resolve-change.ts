import type { CanonicalChange } from '../model/index.js';
import { positionOp } from '../state/helpers.js';
import type { StateOp, StateStore } from '../state/store.js';
import { applyChange, type ChangePosition, type ResolveResult } from './apply-change.js';
import { resolutionNamespaces } from './resolver.js';
import { StateCache } from './state-cache.js';
import { NeedKeys, Tx } from './tx.js';

/**
 * One change resolved against the store, without writing: the ops to commit in one atomic batch
 * (state and, when given, the source position), the golden records affected and the outcome.
 * For tools and tests; a running pipeline uses `Resolver`, which batches and caches.
 */
export async function resolveChange(
  store: StateStore,
  change: CanonicalChange,
  position: ChangePosition,
  now: Date = new Date(),
): Promise<ResolveResult & { ops: StateOp[] }> {
  const cache = new StateCache(store, Number.MAX_SAFE_INTEGER, resolutionNamespaces);
  for (;;) {
    const tx = new Tx(cache);
    try {
      const result = applyChange(tx, change, position, now.toISOString());
      const ops = tx.ops();
      if (position.commit)
        ops.push(positionOp(position.commit.source, position.commit.partition, position.commit.resume));
      return { ...result, ops };
    } catch (err) {
      if (!(err instanceof NeedKeys)) throw err;
      await cache.load(err.wanted, 0);
    }
  }
}
