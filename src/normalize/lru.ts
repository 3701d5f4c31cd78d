import { LRUCache } from 'lru-cache';

/**
 * A bounded cache for pure functions of a string (phone parsing, name casing), on `lru-cache`.
 * Memory stays bounded whatever the input size; results are the function's, so a cached answer
 * is exactly the uncached one. (A hand-written Map in recency order slowed down as it filled: V8
 * keeps deleted Map entries as holes that `keys().next()` walks over — 11 µs per call at 50 000.)
 */
export class Lru<V> {
  /** Values are boxed: lru-cache stores no null or undefined, and a parse may answer null. */
  private readonly cache: LRUCache<string, { v: V }>;
  hits = 0;
  misses = 0;

  constructor(max: number) {
    this.cache = new LRUCache({ max });
    all.add(this as Lru<unknown>);
  }

  get size(): number {
    return this.cache.size;
  }

  /** The cached value for `key`, computing and storing it on a miss. */
  get(key: string, compute: (key: string) => V): V {
    const hit = this.cache.get(key);
    if (hit) {
      this.hits++;
      return hit.v;
    }
    this.misses++;
    const v = compute(key);
    this.cache.set(key, { v });
    return v;
  }

  clear(): void {
    this.cache.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

const all = new Set<Lru<unknown>>();

/** Empties every cache (benchmarks: each measured pass starts cold). */
export function clearCaches(): void {
  for (const c of all) c.clear();
}

/** Hits and misses summed over every cache. */
export function cacheStats(): { hits: number; misses: number; entries: number } {
  let hits = 0;
  let misses = 0;
  let entries = 0;
  for (const c of all) {
    hits += c.hits;
    misses += c.misses;
    entries += c.size;
  }
  return { hits, misses, entries };
}
