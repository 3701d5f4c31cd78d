import { describe, expect, it } from 'vitest';
import { MemoryPositionStore, PositionWriter, type PositionStore } from './positions.js';

describe('PositionWriter', () => {
  it('coalesces to the latest value per key with one write at a time', async () => {
    const store = new MemoryPositionStore();
    const puts: string[] = [];
    let running = 0;
    const slow: PositionStore = {
      get: (k) => store.get(k),
      delete: (k) => store.delete(k),
      put: async (k, v) => {
        expect(++running).toBe(1);
        await new Promise((r) => setTimeout(r, 5));
        puts.push(`${k}=${v}`);
        running--;
        await store.put(k, v);
      },
    };
    const writer = new PositionWriter(slow);
    for (let i = 1; i <= 100; i++) writer.set('a', String(i));
    writer.set('b', 'x');
    await writer.flush();
    expect(store.data.get('a')).toBe('100');
    expect(store.data.get('b')).toBe('x');
    expect(puts.length).toBeLessThanOrEqual(3);
  });

  it('surfaces a failed write on flush and check', async () => {
    const writer = new PositionWriter({
      get: async () => undefined,
      delete: async () => {},
      put: async () => {
        throw new Error('disk full');
      },
    });
    writer.set('a', '1');
    await expect(writer.flush()).rejects.toThrow('disk full');
    expect(() => writer.check()).toThrow('disk full');
  });
});
