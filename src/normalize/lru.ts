/**
 * A small bounded cache for pure functions of a string (phone parsing, name casing): a Map in
 * recency order — a hit moves the key to the end, an insert past `max` drops the oldest key.
 * Memory stays bounded whatever the input size; results are the function's, so a cached answer
 * is exactly the uncached one.
 */
export class Lru<V> {
  private readonly map = new Map<string, V>();
  hits = 0;
  misses = 0;

  constructor(private readonly max: number) {
    all.add(this as Lru<unknown>);
  }

  get size(): number {
    return this.map.size;
  }

  /** The cached value for `key`, computing and storing it on a miss. */
  get(key: string, compute: (key: string) => V): V {
    const map = this.map;
    if (map.has(key)) {
      const v = map.get(key) as V;
      this.hits++;
      map.delete(key);
      map.set(key, v);
      return v;
    }
    this.misses++;
    const v = compute(key);
    map.set(key, v);
    if (map.size > this.max) map.delete(map.keys().next().value as string);
    return v;
  }

  clear(): void {
    this.map.clear();
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
