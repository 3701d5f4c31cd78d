import type { CachedStatus, RegistryCache } from '../connectors/egrul/cache.js';
import type { RegistryStatus } from '../connectors/egrul/status.js';
import type { StateStore } from '../state/store.js';

/** The register cache kept in the state store, so a replay (or a restart) makes no register calls. */
export class StateRegistryCache implements RegistryCache {
  constructor(private readonly store: StateStore) {}

  async get(inn: string): Promise<CachedStatus | undefined> {
    const entry = await this.store.get('registry', inn);
    if (!entry || typeof entry.answer !== 'object' || entry.answer === null) return undefined;
    return { status: entry.answer as RegistryStatus, checkedAt: Date.parse(entry.fetchedAt) };
  }

  async put(inn: string, entry: CachedStatus): Promise<void> {
    await this.store.batch([{
      type: 'put', ns: 'registry', key: inn,
      value: { status: entry.status.status, fetchedAt: new Date(entry.checkedAt).toISOString(), answer: entry.status },
    }]);
  }
}
