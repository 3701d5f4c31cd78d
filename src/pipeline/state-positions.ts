import type { PositionStore } from '../core/positions.js';
import type { StateStore } from '../state/store.js';

/** Source positions in the state store's `positions` namespace: one LevelDB for state and positions. */
export class StatePositionStore implements PositionStore {
  constructor(private readonly store: StateStore) {}

  get(key: string): Promise<string | undefined> {
    return this.store.get('positions', key);
  }

  put(key: string, value: string): Promise<void> {
    return this.store.batch([{ type: 'put', ns: 'positions', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.store.batch([{ type: 'del', ns: 'positions', key }]);
  }
}
