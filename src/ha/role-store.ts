import type { StateOp, StateStore } from '../state/store.js';
import { WrappingStateStore } from '../state/wrapping-store.js';

/**
 * The active instance's store, telling `onRefused` when a write fails because another instance
 * took the changelog over (its writer fenced ours), so the instance stops at once instead of
 * when the failure has worked its way up through a topology.
 */
export class FenceAwareStore extends WrappingStateStore {
  constructor(
    inner: StateStore,
    private readonly onRefused: (err: unknown) => void,
    private readonly refused: (err: unknown) => boolean,
  ) {
    super(inner);
  }

  override async batch(ops: readonly StateOp[]): Promise<void> {
    try {
      await this.inner.batch(ops);
    } catch (err) {
      if (this.refused(err)) this.onRefused(err);
      throw err;
    }
  }
}
