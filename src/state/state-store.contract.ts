import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reject } from '../model/index.js';
import {
  getFreshRegistry,
  getPosition,
  listPositions,
  listRejects,
  positionOp,
  rejectOps,
  registryOp,
} from './helpers.js';
import type { GoldenCompanyState } from './records.js';
import type { StateStore } from './store.js';

/**
 * The behaviour every StateStore must show, registered as vitest tests. Each implementation's
 * test file calls it with a factory (the abstract-level pattern: one suite, many stores).
 */
export interface ContractHarness {
  name: string;
  /** A fresh, empty, open store. */
  open(): Promise<StateStore>;
  /** Reopens the same store after `close()`, when the implementation is durable. */
  reopen?: () => Promise<StateStore>;
}

function company(inn: string, delivery: GoldenCompanyState['delivery'] = 'pending'): GoldenCompanyState {
  return {
    inn,
    status: 'active',
    record: null,
    contributions: {},
    contactIds: [],
    nextContactSeq: 0,
    hash: 'h',
    delivery,
    synced: null,
  };
}

function rej(at: string, reason: Reject['reason'], sourceId: string): Reject {
  return { at, reason, detail: 'd', source: 'shop-a', sourceId, position: `p0@${sourceId}` };
}

export function stateStoreContract(h: ContractHarness): void {
  describe(`StateStore contract: ${h.name}`, () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await h.open();
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
    });

    it('returns undefined for a missing key and a copy for a present one', async () => {
      expect(await store.get('companies', '7707083893')).toBeUndefined();
      await store.batch([{ type: 'put', ns: 'companies', key: '7707083893', value: company('7707083893') }]);
      const got = await store.get('companies', '7707083893');
      expect(got?.inn).toBe('7707083893');
      got!.inn = 'mutated';
      expect((await store.get('companies', '7707083893'))?.inn).toBe('7707083893');
    });

    it('keeps namespaces apart under the same key', async () => {
      await store.batch([
        { type: 'put', ns: 'positions', key: 'k', value: 'pos' },
        { type: 'put', ns: 'matchKeys', key: 'k', value: 'C1' },
      ]);
      expect(await store.get('positions', 'k')).toBe('pos');
      expect(await store.get('matchKeys', 'k')).toBe('C1');
      expect(await store.get('crmIds', 'k')).toBeUndefined();
    });

    it('getMany answers in order with undefined for the missing', async () => {
      await store.batch([
        { type: 'put', ns: 'matchKeys', key: 'a', value: 'A' },
        { type: 'put', ns: 'matchKeys', key: 'c', value: 'C' },
      ]);
      expect(await store.getMany('matchKeys', ['c', 'b', 'a'])).toEqual(['C', undefined, 'A']);
      expect(await store.getMany('matchKeys', [])).toEqual([]);
    });

    it('applies a batch in order: a later op on the same key wins, del removes', async () => {
      await store.batch([
        { type: 'put', ns: 'matchKeys', key: 'x', value: '1' },
        { type: 'put', ns: 'matchKeys', key: 'x', value: '2' },
        { type: 'put', ns: 'matchKeys', key: 'y', value: '1' },
        { type: 'del', ns: 'matchKeys', key: 'y' },
      ]);
      expect(await store.get('matchKeys', 'x')).toBe('2');
      expect(await store.get('matchKeys', 'y')).toBeUndefined();
    });

    it('writes state and its source position atomically: a failing batch writes nothing', async () => {
      await store.batch([positionOp('shop-b', 'p0', '10')]);
      const bad = [
        { type: 'put', ns: 'companies', key: '7707083893', value: company('7707083893') },
        positionOp('shop-b', 'p0', '11'),
        { type: 'put', ns: 'matchKeys', key: 'z', value: undefined as unknown as string },
      ] as const;
      await expect(store.batch(bad)).rejects.toThrow();
      expect(await store.get('companies', '7707083893')).toBeUndefined();
      expect(await getPosition(store, 'shop-b', 'p0')).toBe('10');
    });

    it('iterates in bytewise key order with ranges, prefix, reverse and limit', async () => {
      const keys = ['b', 'a', 'ab', 'a|2', 'a|1', 'Я', 'z'];
      await store.batch(keys.map((k) => ({ type: 'put' as const, ns: 'matchKeys' as const, key: k, value: k })));
      const all = [];
      for await (const [k] of store.iterate('matchKeys')) all.push(k);
      expect(all).toEqual(['a', 'ab', 'a|1', 'a|2', 'b', 'z', 'Я']);
      const pre = [];
      for await (const [k, v] of store.iterate('matchKeys', { prefix: 'a|' })) pre.push([k, v]);
      expect(pre).toEqual([
        ['a|1', 'a|1'],
        ['a|2', 'a|2'],
      ]);
      const rev = [];
      for await (const [k] of store.iterate('matchKeys', { gte: 'a|', lt: 'z', reverse: true, limit: 2 })) rev.push(k);
      expect(rev).toEqual(['b', 'a|2']);
      expect(await store.count('matchKeys')).toBe(7);
      expect(await store.count('matchKeys', { prefix: 'a' })).toBe(4);
    });

    it('stores positions per source and partition', async () => {
      await store.batch([
        positionOp('shop-a', 'companies', '2024-01-01T00:00:00Z|17'),
        positionOp('shop-b', '3', '99'),
      ]);
      expect(await getPosition(store, 'shop-a', 'companies')).toBe('2024-01-01T00:00:00Z|17');
      expect(await listPositions(store, 'shop-b')).toEqual({ 3: '99' });
    });

    it('lists rejects by reason and time; one entry per record and reason, even when rejected again later', async () => {
      await store.batch([
        ...rejectOps(rej('2024-01-01T00:00:02.000Z', 'INVALID_INN', '2')),
        ...rejectOps(rej('2024-01-01T00:00:01.000Z', 'MISSING_INN', '1')),
        ...rejectOps(rej('2024-01-01T00:00:03.000Z', 'INVALID_INN', '3')),
      ]);
      // A replay rejects record 3 again, later: it replaces the entry instead of adding a twin.
      await store.batch(rejectOps(rej('2024-01-02T00:00:00.000Z', 'INVALID_INN', '3')));
      const all = [];
      for await (const r of listRejects(store)) all.push(r.sourceId);
      expect(all.sort()).toEqual(['1', '2', '3']);
      const byReason = [];
      for await (const r of listRejects(store, { reason: 'INVALID_INN' })) byReason.push(r.sourceId);
      expect(byReason.sort()).toEqual(['2', '3']);
      const since = [];
      for await (const r of listRejects(store, { since: '2024-01-01T00:00:02.000Z' })) since.push(r.sourceId);
      expect(since.sort()).toEqual(['2', '3']);
      const limited = [];
      for await (const r of listRejects(store, { since: '2024-01-01T00:00:02.000Z', limit: 1 }))
        limited.push(r.sourceId);
      expect(limited).toHaveLength(1);
    });

    it('reads the register cache only within its TTL', async () => {
      await store.batch([registryOp('7707083893', { status: 'ACTIVE', fetchedAt: '2024-01-01T00:00:00.000Z' })]);
      const day = 86_400_000;
      expect((await getFreshRegistry(store, '7707083893', day, new Date('2024-01-01T12:00:00Z')))?.status).toBe(
        'ACTIVE',
      );
      expect(await getFreshRegistry(store, '7707083893', day, new Date('2024-01-02T00:00:01Z'))).toBeUndefined();
      expect(await getFreshRegistry(store, '0000000000', day)).toBeUndefined();
    });

    it('keeps register changes in time order, so a listing since a time is a key range', async () => {
      const change = (at: string, inn: string) => ({
        type: 'put' as const,
        ns: 'registerChanges' as const,
        key: `${at}|${inn}`,
        value: {
          inn,
          from: 'ACTIVE',
          to: 'LIQUIDATED',
          at,
          crmId: '7',
          value: `LIQUIDATED ${at.slice(0, 10)}`,
          crm: 'pending' as const,
        },
      });
      await store.batch([
        change('2026-12-02T10:00:00.000Z', '7707083893'),
        change('2026-12-01T10:00:00.000Z', '7719402047'),
      ]);
      expect(await store.get('registerChanges', '7707083893')).toBeUndefined();
      const since = [];
      for await (const [, v] of store.iterate('registerChanges', { gte: '2026-12-02' })) since.push(v.inn);
      expect(since).toEqual(['7707083893']);
      expect(await store.count('registerChanges')).toBe(2);
      expect(await store.count('registry')).toBe(0);
    });

    it('counts entities by delivery status', async () => {
      await store.batch([
        { type: 'put', ns: 'companies', key: '1', value: company('1', 'pending') },
        { type: 'put', ns: 'companies', key: '2', value: company('2', 'synced') },
        { type: 'put', ns: 'companies', key: '3', value: { ...company('3', 'none'), status: 'deleted' } },
        ...rejectOps(rej('2024-01-01T00:00:01.000Z', 'MISSING_INN', '1')),
        { type: 'put', ns: 'pending', key: 'company|1', value: { entity: 'company', id: '1' } },
      ]);
      const s = await store.stats();
      expect(s.companies).toEqual({ total: 3, active: 2, deleted: 1, pending: 1, synced: 1 });
      expect(s.rejects).toEqual({ total: 1, byReason: { MISSING_INN: 1 } });
      expect(s.pending).toBe(1);
    });

    it('fails with STATE_STORE_FAILED after close', async () => {
      await store.close();
      await expect(store.get('companies', 'x')).rejects.toMatchObject({ code: 'STATE_STORE_FAILED' });
    });

    it.runIf(h.reopen !== undefined)('keeps what was written across close and reopen', async () => {
      await store.batch([
        positionOp('shop-b', 'p1', '42'),
        { type: 'put', ns: 'companies', key: '9', value: company('9') },
      ]);
      await store.close();
      store = await h.reopen!();
      expect(await getPosition(store, 'shop-b', 'p1')).toBe('42');
      expect((await store.get('companies', '9'))?.inn).toBe('9');
    });
  });
}
