import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, scales } from '../gen/dataset.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { listRegisterChanges, RegisterRefresh, type RefreshTarget } from './refresh.js';
import { activePartners as fixtureActivePartners, serviceParts } from './fixtures.js';
import { StatusField } from './status-field.js';

const FIELD = 'UF_CRM_REGISTER_STATUS';
const ds = generate(scales.small, 3);
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ registry: ds.registry, rate: Number.POSITIVE_INFINITY, egrulLatencyMs: 0 });
});
afterAll(() => sb.stop());

const activePartners = (n: number) => fixtureActivePartners(ds, n);

/** The state and clients a service would have: the pipeline's register cache, ledger and delivery. */
function setup() {
  const { store, resolver, crmConfig, client, delivery, verifier, metrics } = serviceParts(sb);
  const refresh = (target: RefreshTarget, now = new Date('2026-12-02T09:00:00Z')) =>
    new RegisterRefresh({
      store,
      verifier,
      client,
      field: new StatusField(client, FIELD),
      batchSize: crmConfig.batchSize,
      retry: { baseMs: 5, maxMs: 20 },
      metrics,
      now: () => now,
    }).run(target);
  return { store, resolver, delivery, verifier, client, metrics, refresh };
}

const statusOf = (id: string | undefined): unknown => sb.portal.store.get('company', Number(id))?.fields[FIELD] ?? null;
/** CRM companies whose status field shows something, by id. */
const marked = (): Record<string, string> =>
  Object.fromEntries(
    sb.portal.store
      .all('company')
      .filter((c) => c.fields[FIELD])
      .map((c) => [String(c.id), c.fields[FIELD] as string]),
  );

describe('register refresh against the sandbox (issue 19)', () => {
  it('marks exactly the companies the register no longer lists as active, clears one active again, and writes nothing twice', async () => {
    const { store, resolver, delivery, verifier, metrics, refresh } = setup();
    const changes = activePartners(8);
    expect(changes).toHaveLength(8);
    // load as the pipeline does: verify (fills the register cache), resolve, deliver
    for (const [i, change] of changes.entries()) {
      expect((await verifier.verify(change.company.requisite.inn)).ok).toBe(true);
      await resolver.resolve(change, { ref: `p@${i}` });
    }
    const inns = changes.map((c) => c.company.requisite.inn);
    expect((await delivery.deliver(inns)).every((o) => o.status === 'synced')).toBe(true);
    const crmId = async (inn: string) => (await store.get('crmIds', inn))?.company;
    const [liquidated, bankrupt, liquidating] = inns;
    const ids = await Promise.all(inns.map(crmId));
    // a company the pipeline never loaded (rejected as not active) that the register now lists as active
    const unloaded = Object.keys(ds.registry).find((inn) => ds.registry[inn]?.status === 'LIQUIDATED')!;

    sb.egrul.upsertRegistry({
      [liquidated!]: { ...ds.registry[liquidated!]!, status: 'LIQUIDATED' },
      [bankrupt!]: { ...ds.registry[bankrupt!]!, status: 'BANKRUPT' },
      [liquidating!]: { ...ds.registry[liquidating!]!, status: 'LIQUIDATING' },
      [unloaded]: { ...ds.registry[unloaded]!, status: 'ACTIVE' },
    });
    sb.portal.resetCounters();
    const lookups = sb.egrul.counters.requests;
    const first = await refresh({ status: 'ACTIVE' });
    expect(sb.egrul.counters.requests - lookups).toBe(8); // every loaded ACTIVE company, past the cache
    expect(first).toEqual({
      checked: 8,
      changed: { LIQUIDATED: 1, BANKRUPT: 1, LIQUIDATING: 1 },
      written: 3,
      corrected: 0,
      failed: 0,
    });
    expect(marked()).toEqual({
      [ids[0]!]: 'LIQUIDATED 2026-12-02',
      [ids[1]!]: 'BANKRUPT 2026-12-02',
      [ids[2]!]: 'LIQUIDATING 2026-12-02',
    });
    // nothing else was written: the field, once, and one update per marked company
    expect(sb.portal.counters.writes).toBe(4);
    expect(sb.portal.counters.commandsByMethod).toEqual({
      'crm.company.userfield.list': 1,
      'crm.company.userfield.add': 1,
      'crm.company.update': 3,
    });
    expect(await refresh({ inns: [unloaded] })).toMatchObject({ checked: 1, changed: { ACTIVE: 1 }, written: 0 });
    expect(sb.portal.counters.writes).toBe(4);

    // the company in liquidation is active again: its mark goes; the others stay
    sb.egrul.upsertRegistry({ [liquidating!]: { ...ds.registry[liquidating!]!, status: 'ACTIVE' } });
    sb.portal.resetCounters();
    const second = await refresh({ status: 'LIQUIDATING' }, new Date('2026-12-03T09:00:00Z'));
    expect(second).toEqual({ checked: 1, changed: { ACTIVE: 1 }, written: 1, corrected: 0, failed: 0 });
    expect(statusOf(ids[2])).toBe('');
    expect(marked()).toEqual({ [ids[0]!]: 'LIQUIDATED 2026-12-02', [ids[1]!]: 'BANKRUPT 2026-12-02' });
    expect(sb.portal.counters.writes).toBe(1); // the field exists: listed, not added again

    // nothing changed since: a refresh of everything writes nothing
    sb.portal.resetCounters();
    for (const status of ['ACTIVE', 'LIQUIDATED', 'BANKRUPT']) expect((await refresh({ status })).written).toBe(0);
    expect(sb.portal.counters.writes).toBe(0);
    expect(sb.portal.counters.commandsByMethod['crm.company.update']).toBeUndefined();

    const log = await listRegisterChanges(store);
    expect(log.map((c) => [c.inn, c.from, c.to, c.crm])).toEqual(
      expect.arrayContaining([
        [liquidated, 'ACTIVE', 'LIQUIDATED', 'written'],
        [bankrupt, 'ACTIVE', 'BANKRUPT', 'written'],
        [liquidating, 'ACTIVE', 'LIQUIDATING', 'written'],
        [unloaded, null, 'ACTIVE', 'none'], // never checked by this state before
        [liquidating, 'LIQUIDATING', 'ACTIVE', 'written'],
      ]),
    );
    expect(log).toHaveLength(5);
    expect((await listRegisterChanges(store, '2026-12-03')).map((c) => c.to)).toEqual(['ACTIVE']);
    const counted = Object.fromEntries(
      (await metrics.registerChanges.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.status, v.value]),
    );
    expect(counted).toEqual({ LIQUIDATED: 1, BANKRUPT: 1, LIQUIDATING: 1, ACTIVE: 2 });
    // the register cache holds the new answers: the pipeline would now reject the liquidated company
    expect((await verifier.verify(liquidated!)).ok).toBe(false);
  });

  it('sends first the writes a crash left pending, only the latest per company', async () => {
    const { store, refresh } = setup();
    const id = sb.portal.store.add('company', { TITLE: 'Left pending' });
    const pending = (at: string, to: string) => ({
      inn: '7707083893',
      from: 'ACTIVE',
      to,
      at,
      crmId: String(id),
      value: `${to} ${at.slice(0, 10)}`,
      crm: 'pending' as const,
    });
    await store.batch([
      {
        type: 'put',
        ns: 'registerChanges',
        key: '2026-11-01T00:00:00.000Z|7707083893',
        value: pending('2026-11-01T00:00:00.000Z', 'LIQUIDATING'),
      },
      {
        type: 'put',
        ns: 'registerChanges',
        key: '2026-11-20T00:00:00.000Z|7707083893',
        value: pending('2026-11-20T00:00:00.000Z', 'LIQUIDATED'),
      },
    ]);
    expect(await refresh({ inns: [] })).toMatchObject({ checked: 0, written: 1 });
    expect(statusOf(String(id))).toBe('LIQUIDATED 2026-11-20');
    expect((await listRegisterChanges(store)).map((c) => c.crm)).toEqual(['none', 'written']);
    expect((await refresh({ inns: [] })).written).toBe(0);
  });
});
