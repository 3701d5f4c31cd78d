import type { RegistryStatus } from './status.js';

/** One register answer and when it was fetched (epoch ms). */
export interface CachedStatus {
  status: RegistryStatus;
  checkedAt: number;
}

/**
 * What the verifier needs from a cache. The state store (LevelDB) implements it in production;
 * `MemoryRegistryCache` serves tests and the demo. Keys are INNs.
 */
export interface RegistryCache {
  get(inn: string): Promise<CachedStatus | undefined>;
  put(inn: string, entry: CachedStatus): Promise<void>;
}

export interface CacheTtl {
  /** A status the register returned (ACTIVE, LIQUIDATED…): changes rarely. */
  foundMs: number;
  /**
   * "Not in the register" is trusted for much less: a company registered days ago may not have
   * reached DaData yet, and a stale NOT_FOUND would keep rejecting a real customer for a month.
   */
  notFoundMs: number;
}

export function ttlFromConfig(c: { cacheTtlDays: number; notFoundTtlHours: number }): CacheTtl {
  return { foundMs: c.cacheTtlDays * 86_400_000, notFoundMs: c.notFoundTtlHours * 3_600_000 };
}

export function isFresh(entry: CachedStatus, now: number, ttl: CacheTtl): boolean {
  const ttlMs = entry.status.status === 'NOT_FOUND' ? ttl.notFoundMs : ttl.foundMs;
  return now - entry.checkedAt < ttlMs;
}

export class MemoryRegistryCache implements RegistryCache {
  readonly entries = new Map<string, CachedStatus>();

  async get(inn: string): Promise<CachedStatus | undefined> {
    return this.entries.get(inn);
  }

  async put(inn: string, entry: CachedStatus): Promise<void> {
    this.entries.set(inn, entry);
  }
}
