import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { loadBitrix24Config } from './config.js';
import { Bitrix24Loader } from './loader.js';
import { Bitrix24Client } from './rest-client.js';
import type { GoldenCompany, LoadResult } from './types.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ rate: 1000, burst: 1000 });
});
afterAll(() => sb.stop());
beforeEach(() => sb.portal.setFaults(''));

function setup(extra: Record<string, unknown> = {}) {
  const config = loadBitrix24Config({ webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000, retryBaseMs: 5, retryMaxMs: 20, timeoutMs: 3000, maxRounds: 40, ...extra }, {});
  const client = new Bitrix24Client(config);
  return { client, loader: new Bitrix24Loader(client, config) };
}

let seq = 0;
function company(n: number, kind: 'ORG' | 'IE' = 'ORG'): GoldenCompany {
  const g = `g-${++seq}-${n}`;
  const org = kind === 'ORG';
  return {
    goldenId: g, hash: 'h1', kind, name: `ООО "Тест ${n}"`, address: 'г. Москва',
    phones: [{ e164: `+7495${String(n).padStart(7, '0')}` }, { e164: '+78005555550', ext: '12' }], emails: [`info${n}@t.ru`],
    requisites: org
      ? [{ inn: '7707083893', kpp: '773601001', ogrn: '1027700132195', name: `Тест ${n}` }, { inn: '7707083893', kpp: '540602001', name: `Тест ${n}` }]
      : [{ inn: '500100732259', ogrnip: '304500116000061', name: `ИП Тест ${n}` }],
    bankAccounts: [{ bik: '044525225', account: `4070281093800000${String(n).padStart(4, '0')}`, bankName: 'ПАО СБЕРБАНК', kpp: org ? '540602001' : undefined }],
    contacts: [
      { goldenId: `${g}-p1`, lastName: 'Иванов', firstName: 'Иван', phones: [{ e164: '+79161234567', type: 'MOBILE' }], emails: [`ivan${n}@t.ru`] },
      { goldenId: `${g}-p2`, lastName: 'Петров', phones: [], emails: [] },
    ],
  };
}

/** Everything the portal holds for a golden company, checked for exactly-once and correct links. */
function assertDelivered(c: GoldenCompany, r: LoadResult): void {
  expect(r.status).toBe('synced');
  const store = sb.portal.store;
  const companies = store.all('company').filter((x) => x.fields.ORIGIN_ID === c.goldenId && x.fields.ORIGINATOR_ID === 'crm-unify');
  expect(companies).toHaveLength(1);
  const co = companies[0]!;
  expect(r.status === 'synced' && r.ids.companyId).toBe(co.id);
  expect(co.multi.PHONE ?? []).toHaveLength(c.phones.length);
  expect(co.multi.EMAIL ?? []).toHaveLength(c.emails.length);
  const rqs = store.all('requisite').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/rq/`));
  expect(rqs).toHaveLength(c.requisites.length);
  for (const rq of rqs) {
    expect(rq.fields).toMatchObject({ ENTITY_TYPE_ID: '4', ENTITY_ID: String(co.id), PRESET_ID: c.kind === 'ORG' ? '1' : '2' });
  }
  const bds = store.all('bankdetail').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/bd/`));
  expect(bds).toHaveLength(c.bankAccounts.length);
  const owner = rqs.find((x) => x.fields.RQ_KPP === (c.bankAccounts[0]!.kpp ?? null)) ?? rqs[0]!;
  expect(bds[0]!.fields).toMatchObject({ ENTITY_ID: String(owner.id), RQ_BIK: '044525225' });
  for (const p of c.contacts) {
    const found = store.all('contact').filter((x) => x.fields.ORIGIN_ID === p.goldenId && x.fields.ORIGINATOR_ID === 'crm-unify');
    expect(found).toHaveLength(1);
    expect(found[0]!.fields.COMPANY_ID).toBe(String(co.id));
    expect(found[0]!.multi.PHONE ?? []).toHaveLength(p.phones.length);
  }
}

const asSynced = (c: GoldenCompany, r: LoadResult): GoldenCompany =>
  r.status === 'synced' ? { ...c, synced: { hash: r.hash, ids: r.ids } } : c;

describe('Bitrix24Loader', () => {
  it('delivers companies, requisites per KPP, bank details and contacts in shared batches', async () => {
    const { loader, client } = setup();
    sb.portal.resetCounters();
    const input = Array.from({ length: 12 }, (_, i) => company(i, i % 4 === 3 ? 'IE' : 'ORG'));
    const results = await loader.load(input);
    input.forEach((c, i) => assertDelivered(c, results[i]!));
    // 12 companies × ~10 commands each, 50 per request: a handful of HTTP requests, not hundreds.
    expect(sb.portal.counters.byMethod.batch).toBeLessThanOrEqual(4);
    await client.close();
  });

  it('delivers every entity exactly once under 503s, 500s, lost answers and latency', async () => {
    const { loader, client } = setup();
    sb.portal.setFaults('503=0.15,500=0.1,lost=0.15,latency=0-15', Number(process.env.FAULT_SEED ?? 42));
    const input = Array.from({ length: 40 }, (_, i) => company(i, i % 5 === 0 ? 'IE' : 'ORG'));
    const results = await loader.load(input);
    const f = sb.portal.counters.faults;
    expect(f.lost + f['500'] + f['503']).toBeGreaterThan(0);
    sb.portal.setFaults('');
    input.forEach((c, i) => assertDelivered(c, results[i]!));
    await client.close();
  });

  it('looks up before re-creating when the caller says a create was attempted', async () => {
    const { loader, client } = setup();
    const c = company(1);
    const first = await loader.load([c]);
    sb.portal.resetCounters();
    const again = await loader.load([{ ...c, createAttempted: true }]);
    // Adopted, not re-created: updates may re-apply the same values, but no add runs.
    expect(Object.keys(sb.portal.counters.commandsByMethod).filter((m) => m.endsWith('.add'))).toEqual([]);
    expect(again[0]!.status === 'synced' && again[0]!.ids.companyId).toBe(first[0]!.status === 'synced' && first[0]!.ids.companyId);
    assertDelivered(c, again[0]!);
    await client.close();
  });

  it('writes nothing when the records are unchanged', async () => {
    const { loader, client } = setup();
    const input = Array.from({ length: 5 }, (_, i) => company(i));
    const first = await loader.load(input);
    sb.portal.resetCounters();
    const second = await loader.load(input.map((c, i) => asSynced(c, first[i]!)));
    expect(second.every((r) => r.status === 'synced' && r.writes === 0)).toBe(true);
    expect(sb.portal.counters.writes).toBe(0);
    expect(sb.portal.counters.requests).toBe(0);
    await client.close();
  });

  it('updates a changed phone in place, keeping the row count, and merges contacts', async () => {
    const { loader, client } = setup();
    const c = company(7);
    const [r1] = await loader.load([c]);
    const synced = asSynced(c, r1!);
    const p2 = synced.contacts[1]!;
    const changed: GoldenCompany = {
      ...synced, hash: 'h2', phones: [{ e164: '+74990000000' }, c.phones[1]!],
      contacts: [{ ...synced.contacts[0]!, emails: ['ivan-new@t.ru'], mergedFrom: [{ goldenId: p2.goldenId }] }],
    };
    sb.portal.setFaults('lost=0.2,500=0.1', 9);
    const [r2] = await loader.load([changed]);
    sb.portal.setFaults('');
    expect(r2).toMatchObject({ status: 'synced', mergedAway: [p2.goldenId] });
    const co = sb.portal.store.get('company', r1!.status === 'synced' ? r1!.ids.companyId! : 0)!;
    expect(co.multi.PHONE?.map((p) => p.VALUE).sort()).toEqual(['+74990000000', '+78005555550 доб. 12']);
    const kept = sb.portal.store.all('contact').filter((x) => x.fields.ORIGIN_ID === c.contacts[0]!.goldenId);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.multi.EMAIL?.map((e) => e.VALUE)).toEqual(['ivan-new@t.ru']);
    expect(sb.portal.store.all('contact').filter((x) => x.fields.ORIGIN_ID === p2.goldenId)).toHaveLength(0);
    await client.close();
  });

  it('rejects a record the portal refuses, with the portal error, and loads the rest', async () => {
    const { loader, client } = setup();
    const bad = { ...company(1), emails: ['not-an-email'] };
    const good = company(2);
    const [rb, rg] = await loader.load([bad, good]);
    expect(rb).toMatchObject({ status: 'rejected', reason: 'CRM_REJECTED' });
    expect(rb!.status === 'rejected' && rb!.detail).toMatch(/crm\.company\.add: ERROR_CORE/);
    assertDelivered(good, rg!);
    await client.close();
  });
});
