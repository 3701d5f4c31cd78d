import { describe, expect, it } from 'vitest';
import { Lru, cacheStats, clearCaches } from './lru.js';
import { displayCase } from './person-name.js';
import { parsePhones, phoneCache } from './phone.js';

describe('Lru', () => {
  it('computes once per key and stays bounded, dropping the least recently used', () => {
    const calls: string[] = [];
    const lru = new Lru<string>(2);
    const f = (k: string) => (calls.push(k), k.toUpperCase());
    expect(lru.get('a', f)).toBe('A');
    expect(lru.get('b', f)).toBe('B');
    expect(lru.get('a', f)).toBe('A'); // hit: 'a' is now the most recent
    lru.get('c', f); // evicts 'b'
    expect(lru.size).toBe(2);
    lru.get('a', f);
    lru.get('b', f);
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
  });
});

describe('normalizer caches give the uncached answers', () => {
  const spellings = [
    '8 (495) 500-55-50',
    '8-495-500-55-50',
    '+7 495 5005550',
    '(495) 500 55 50',
    '84955005550 доб. 12',
    '+375 29 123-45-67',
    '123',
  ];
  it('phones: every spelling of a number is one entry, results equal to a cold parse, never shared objects', () => {
    clearCaches();
    const cold = spellings.map((s) => {
      clearCaches();
      return parsePhones(s);
    });
    clearCaches();
    const warm = spellings.map((s) => parsePhones(s));
    expect(warm).toEqual(cold);
    expect(phoneCache.size).toBeLessThan(spellings.length);
    warm[0]!.phones[0]!.ext = '999'; // a caller mutating its result does not touch the cache
    expect(parsePhones(spellings[0]!).phones[0]!.ext).toBeUndefined();
  });
  it('name casing', () => {
    clearCaches();
    expect(['иванов', 'ИВАНОВ', 'иванов', 'МакДональд'].map(displayCase)).toEqual([
      'Иванов',
      'Иванов',
      'Иванов',
      'МакДональд',
    ]);
    expect(cacheStats().hits).toBeGreaterThan(0);
  });
});
