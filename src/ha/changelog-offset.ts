import type { StateOp, StateStore } from '../state/store.js';

/**
 * Where a state directory keeps the last changelog offset it holds: a key of the positions
 * namespace, written in the same LevelDB batch as the ops up to that offset. It is the one key
 * the changelog does not mirror (each directory has its own).
 */
export function appliedOffsetKey(topic: string): string {
  return `changelog|${topic}`;
}

/** The op that records `offset` as applied; it is never mirrored to the changelog itself. */
export function appliedOffsetOp(topic: string, offset: string): StateOp {
  return { type: 'put', ns: 'positions', key: appliedOffsetKey(topic), value: offset };
}

/** The last changelog offset `store` holds, or null when it holds none. */
export async function appliedOffset(store: StateStore, topic: string): Promise<string | null> {
  return (await store.get('positions', appliedOffsetKey(topic))) ?? null;
}
