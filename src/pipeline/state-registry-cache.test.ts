import { describe, expect, it } from 'vitest';
import type { RegistryStatus } from '../connectors/egrul/status.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { StateRegistryCache } from './state-registry-cache.js';

function counting() {
  const store = new MemoryStateStore();
  const calls = { get: 0, getMany: 0, batch: 0 };
  const spy = (name: keyof typeof calls) => {
    const fn = (store[name] as (...a: unknown[]) => unknown).bind(store);
    (store as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      calls[name]++;
      return fn(...a);
    };
  };
  for (const name of ['get', 'getMany', 'batch'] as const) spy(name);
  return { store, calls };
}

const answer = (inn: string): RegistryStatus => ({ status: 'ACTIVE', inn }) as unknown as RegistryStatus;

describe('StateRegistryCache', () => {
  it('stores and reads the answers of many INNs asked for at once in one batch and one getMany', async () => {
    const { store, calls } = counting();
    const cache = new StateRegistryCache(store);
    const inns = Array.from({ length: 20 }, (_, i) => String(7700000000 + i));
    await Promise.all(
      inns.slice(0, 10).map((inn, i) => cache.put(inn, { status: answer(inn), checkedAt: Date.UTC(2026, 0, 1 + i) })),
    );
    expect(calls.batch).toBe(1);
    const got = await Promise.all(inns.map((inn) => cache.get(inn)));
    expect(calls).toMatchObject({ get: 0, getMany: 1 });
    expect(got.slice(0, 10).map((g) => g?.status)).toEqual(inns.slice(0, 10).map(answer));
    expect(got.slice(0, 10).map((g) => g?.checkedAt)).toEqual(
      inns.slice(0, 10).map((_, i) => Date.UTC(2026, 0, 1 + i)),
    );
    expect(got.slice(10)).toEqual(inns.slice(10).map(() => undefined));
    // A later turn is a new read that sees what was stored.
    expect((await cache.get(inns[3]!))?.status).toEqual(answer(inns[3]!));
    expect(calls.getMany).toBe(2);
  });
});
