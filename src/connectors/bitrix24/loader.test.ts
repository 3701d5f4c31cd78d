import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { loadBitrix24Config } from './config.js';
import { Bitrix24Loader, type LoaderDeps } from './loader.js';
import { Bitrix24Client } from './rest-client.js';
import { bankKey, bankXmlId, requisiteFor, requisiteKey, requisiteXmlId } from './fields.js';
import { phoneValue } from './multifields.js';
import type { GoldenCompany, LoadResult, MultifieldRow } from './types.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ rate: 1000, burst: 1000 });
});
afterAll(() => sb.stop());
beforeEach(() => sb.portal.setFaults(''));

function setup(extra: Record<string, unknown> = {}, deps: LoaderDeps = {}) {
  const config = loadBitrix24Config(
    {
      webhookUrl: sb.webhookUrl,
      rate: 1000,
      burst: 1000,
      retryBaseMs: 5,
      retryMaxMs: 20,
      timeoutMs: 3000,
      maxRounds: 40,
      adopt: false,
      ...extra,
    },
    {},
  );
  const client = new Bitrix24Client(config);
  return { client, loader: new Bitrix24Loader(client, config, deps) };
}

let seq = 0;
function company(n: number, kind: 'ORG' | 'IE' = 'ORG'): GoldenCompany {
  const g = `g-${++seq}-${n}`;
  const org = kind === 'ORG';
  return {
    goldenId: g,
    hash: 'h1',
    kind,
    name: `ООО "Тест ${n}"`,
    address: 'г. Москва',
    phones: [{ e164: `+7495${String(n).padStart(7, '0')}` }, { e164: '+78005555550', ext: '12' }],
    emails: [`info${n}@t.ru`],
    requisites: org
      ? [
          { inn: '7707083893', kpp: '773601001', ogrn: '1027700132195', name: `Тест ${n}` },
          { inn: '7707083893', kpp: '540602001', name: `Тест ${n}` },
        ]
      : [{ inn: '500100732259', ogrnip: '304500116000061', name: `ИП Тест ${n}` }],
    bankAccounts: [
      {
        bik: '044525225',
        account: `4070281093800000${String(n).padStart(4, '0')}`,
        bankName: 'ПАО СБЕРБАНК',
        kpp: org ? '540602001' : undefined,
      },
    ],
    contacts: [
      {
        goldenId: `${g}-p1`,
        lastName: 'Иванов',
        firstName: 'Иван',
        phones: [{ e164: '+79161234567', type: 'MOBILE' }],
        emails: [`ivan${n}@t.ru`],
      },
      { goldenId: `${g}-p2`, lastName: 'Петров', phones: [], emails: [] },
    ],
  };
}

/** Everything the portal holds for a golden company, checked for exactly-once and correct links. */
function assertDelivered(c: GoldenCompany, r: LoadResult): void {
  expect(r.status).toBe('synced');
  const store = sb.portal.store;
  const companies = store
    .all('company')
    .filter((x) => x.fields.ORIGIN_ID === c.goldenId && x.fields.ORIGINATOR_ID === 'crm-unify');
  expect(companies).toHaveLength(1);
  const co = companies[0]!;
  expect(r.status === 'synced' && r.ids.companyId).toBe(co.id);
  expect(co.multi.PHONE ?? []).toHaveLength(c.phones.length);
  expect(co.multi.EMAIL ?? []).toHaveLength(c.emails.length);
  const rqs = store.all('requisite').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/rq/`));
  expect(rqs).toHaveLength(c.requisites.length);
  for (const rq of rqs) {
    expect(rq.fields).toMatchObject({
      ENTITY_TYPE_ID: '4',
      ENTITY_ID: String(co.id),
      PRESET_ID: c.kind === 'ORG' ? '1' : '2',
    });
  }
  const bds = store.all('bankdetail').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/bd/`));
  expect(bds).toHaveLength(c.bankAccounts.length);
  const owner = rqs.find((x) => x.fields.RQ_KPP === (c.bankAccounts[0]!.kpp ?? null)) ?? rqs[0]!;
  expect(bds[0]!.fields).toMatchObject({ ENTITY_ID: String(owner.id), RQ_BIK: '044525225' });
  for (const p of c.contacts) {
    const found = store
      .all('contact')
      .filter((x) => x.fields.ORIGIN_ID === p.goldenId && x.fields.ORIGINATOR_ID === 'crm-unify');
    expect(found).toHaveLength(1);
    expect(found[0]!.fields.COMPANY_ID).toBe(String(co.id));
    expect(found[0]!.multi.PHONE ?? []).toHaveLength(p.phones.length);
  }
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort();
const rowValues = (rows: ReadonlyArray<{ VALUE: string }> | undefined): string[] =>
  sorted((rows ?? []).map((r) => r.VALUE));
const idRows = (rows: ReadonlyArray<{ ID: number; VALUE: string }> | undefined, type: 'PHONE' | 'EMAIL') =>
  (rows ?? []).map((r) => ({ id: r.ID, type, value: r.VALUE }));
const knownRows = (rows: MultifieldRow[] | undefined) => rows?.map((r) => ({ id: r.id, type: r.type, value: r.value }));

/**
 * The strict form of exactly-once for one golden company: one company, one requisite per KPP, one
 * bank detail per (BIK, account), one contact per golden contact, each entity's multifield rows
 * exactly the wanted values (no twins), correct links, and the returned ids equal to what the
 * portal holds (row ids too, where the loader reports them).
 */
function assertExactlyOnce(c: GoldenCompany, r: LoadResult | undefined): void {
  const at = (what: string) => `${c.goldenId}: ${what}`;
  expect(r?.status, at('status')).toBe('synced');
  if (r?.status !== 'synced') return;
  const store = sb.portal.store;
  const mine = (x: { fields: Record<string, string | null> }) => x.fields.ORIGINATOR_ID === 'crm-unify';
  const companies = store.all('company').filter((x) => mine(x) && x.fields.ORIGIN_ID === c.goldenId);
  expect(companies, at('companies')).toHaveLength(1);
  const co = companies[0]!;
  expect(r.ids.companyId, at('company id')).toBe(co.id);
  expect(rowValues(co.multi.PHONE), at('company phones')).toEqual(sorted(c.phones.map(phoneValue)));
  expect(rowValues(co.multi.EMAIL), at('company emails')).toEqual(sorted(c.emails));
  if (r.ids.companyRows) {
    expect(sorted(knownRows(r.ids.companyRows)!.map((x) => JSON.stringify(x))), at('company rows')).toEqual(
      sorted([...idRows(co.multi.PHONE, 'PHONE'), ...idRows(co.multi.EMAIL, 'EMAIL')].map((x) => JSON.stringify(x))),
    );
  }
  expect(
    store.all('requisite').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/rq/`)),
    at('requisites'),
  ).toHaveLength(c.requisites.length);
  for (const q of c.requisites) {
    const found = store
      .all('requisite')
      .filter((x) => mine(x) && x.fields.XML_ID === requisiteXmlId(c.goldenId, requisiteKey(q)));
    expect(found, at(`requisite ${requisiteKey(q)}`)).toHaveLength(1);
    expect(found[0]!.fields, at(`requisite ${requisiteKey(q)} owner`)).toMatchObject({
      ENTITY_TYPE_ID: '4',
      ENTITY_ID: String(co.id),
    });
    expect(r.ids.requisites[requisiteKey(q)], at(`requisite ${requisiteKey(q)} id`)).toBe(found[0]!.id);
  }
  expect(
    store.all('bankdetail').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/bd/`)),
    at('bank details'),
  ).toHaveLength(c.bankAccounts.length);
  for (const b of c.bankAccounts) {
    const found = store
      .all('bankdetail')
      .filter((x) => mine(x) && x.fields.XML_ID === bankXmlId(c.goldenId, bankKey(b)));
    expect(found, at(`bank ${bankKey(b)}`)).toHaveLength(1);
    expect(found[0]!.fields.ENTITY_ID, at(`bank ${bankKey(b)} owner`)).toBe(
      String(r.ids.requisites[requisiteKey(requisiteFor(c, b)!)]),
    );
    expect(r.ids.bankDetails[bankKey(b)], at(`bank ${bankKey(b)} id`)).toBe(found[0]!.id);
  }
  for (const p of c.contacts) {
    const found = store.all('contact').filter((x) => mine(x) && x.fields.ORIGIN_ID === p.goldenId);
    expect(found, at(`contact ${p.goldenId}`)).toHaveLength(1);
    const ct = found[0]!;
    expect(ct.fields.COMPANY_ID, at(`contact ${p.goldenId} company`)).toBe(String(co.id));
    expect(rowValues(ct.multi.PHONE), at(`contact ${p.goldenId} phones`)).toEqual(sorted(p.phones.map(phoneValue)));
    expect(rowValues(ct.multi.EMAIL), at(`contact ${p.goldenId} emails`)).toEqual(sorted(p.emails));
    const known = r.ids.contacts[p.goldenId];
    expect(known?.id, at(`contact ${p.goldenId} id`)).toBe(ct.id);
    if (known?.rows) {
      expect(sorted(knownRows(known.rows)!.map((x) => JSON.stringify(x))), at(`contact ${p.goldenId} rows`)).toEqual(
        sorted([...idRows(ct.multi.PHONE, 'PHONE'), ...idRows(ct.multi.EMAIL, 'EMAIL')].map((x) => JSON.stringify(x))),
      );
    }
  }
  expect(Object.keys(r.ids.contacts).sort(), at('contact ids')).toEqual(c.contacts.map((p) => p.goldenId).sort());
}

/** A company with many contacts: its look-ups alone outgrow one batch and spread over several. */
function bigCompany(n: number, contacts: number): GoldenCompany {
  const c = company(n);
  return {
    ...c,
    contacts: Array.from({ length: contacts }, (_, i) => ({
      goldenId: `${c.goldenId}-big${i}`,
      lastName: `Контакт ${i}`,
      phones: i % 3 === 0 ? [{ e164: `+7916${String(n * 100 + i).padStart(7, '0')}`, type: 'MOBILE' }] : [],
      emails: i % 2 === 0 ? [`c${i}.${n}@t.ru`] : [],
    })),
  };
}

/** A varied input: IE and ORG companies, a big one, one without phones or contacts. */
function mixedInput(): GoldenCompany[] {
  const bare: GoldenCompany = { ...company(90), phones: [], emails: [], contacts: [] };
  return [...Array.from({ length: 6 }, (_, i) => company(i, i % 3 === 0 ? 'IE' : 'ORG')), bigCompany(7, 30), bare];
}

/** High fault rates: over half of all requests fail, and a quarter of those that run lose their answer. */
const HARSH = '503=0.2,500=0.15,lost=0.25,latency=0-1';
/** Seeds of the fault RNG, fixed so that a failure names its seed and replays. */
const SEEDS = Array.from({ length: 30 }, (_, i) => 1000 + i * 7919);
/** Batch sizes: the portal's 50, and smaller ones that split a company's look-ups and creates. */
const SIZES = [50, 23, 11] as const;

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
    // Small batches: enough requests for the faults to land (bulk import packs 40 companies into a few).
    const { loader, client } = setup({ batchSize: 11 });
    sb.portal.resetCounters();
    sb.portal.setFaults('503=0.15,500=0.1,lost=0.15,latency=0-15', Number(process.env.FAULT_SEED ?? 42));
    const input = Array.from({ length: 40 }, (_, i) => company(i, i % 5 === 0 ? 'IE' : 'ORG'));
    const results = await loader.load(input);
    const f = sb.portal.counters.faults;
    expect(f.lost + f['500'] + f['503']).toBeGreaterThan(0);
    sb.portal.setFaults('');
    input.forEach((c, i) => assertDelivered(c, results[i]!));
    await client.close();
  });

  it('delivers every entity exactly once over 30 fault seeds at high fault rates, whatever the batch size', async () => {
    for (const [i, seed] of SEEDS.entries()) {
      // Small batches split a company's creates and look-ups over several requests and rounds.
      const { loader, client } = setup({ batchSize: SIZES[i % 3], maxRounds: 200, retryBaseMs: 1, retryMaxMs: 4 });
      sb.portal.store.clear(); // a fresh portal per seed keeps its list scans (and the test) fast
      sb.portal.setFaults(HARSH, seed);
      const input = mixedInput();
      const results = await loader.load(input);
      sb.portal.setFaults('');
      try {
        input.forEach((c, j) => assertExactlyOnce(c, results[j]));
      } catch (err) {
        throw new Error(`fault seed ${seed} (batch size ${SIZES[i % 3]}): ${(err as Error).message}`, { cause: err });
      }
      await client.close();
    }
    expect(sb.portal.counters.faults.lost).toBeGreaterThan(0);
  }, 60_000);

  it('never creates twins when unsettled loads are retried, however the caller passes the result back', async () => {
    type Caller = 'ids-back' | 'same-input' | 'restart';
    const styles: Caller[] = ['ids-back', 'same-input', 'restart'];
    let retries = 0;
    for (const [i, seed] of SEEDS.slice(0, 12).entries()) {
      const style = styles[i % 3]!;
      // Few rounds per load: most companies come back `retry` mid-way, some mid-look-up.
      const persisted = new Set<string>();
      const make = () =>
        setup(
          { batchSize: 23, maxRounds: 4, retryBaseMs: 1, retryMaxMs: 4 },
          {
            onCreateAttempt: async (ids) => {
              for (const id of ids) persisted.add(id);
            },
          },
        );
      let { loader, client } = make();
      sb.portal.store.clear();
      sb.portal.setFaults(HARSH, seed);
      const input = mixedInput();
      let todo = input.map((c, j) => ({ j, next: c }));
      const final: LoadResult[] = [];
      for (let attempt = 0; todo.length > 0; attempt++) {
        expect(attempt, `seed ${seed}: still unsettled`).toBeLessThan(200);
        if (style === 'restart' && attempt > 0) {
          // A crash between loads: the in-memory loader and every id it learned are gone; only
          // what onCreateAttempt persisted survives.
          await client.close();
          ({ loader, client } = make());
        }
        const results = await loader.load(todo.map((t) => t.next));
        const again: typeof todo = [];
        results.forEach((r, k) => {
          const { j } = todo[k]!;
          if (r.status !== 'retry') {
            final[j] = r;
            persisted.delete(input[j]!.goldenId);
            return;
          }
          retries++;
          const orig = input[j]!;
          if (style === 'ids-back')
            again.push({ j, next: { ...orig, synced: { hash: '', ids: r.ids }, createAttempted: r.createAttempted } });
          else if (style === 'same-input') again.push({ j, next: orig });
          else again.push({ j, next: persisted.has(orig.goldenId) ? { ...orig, createAttempted: true } : orig });
        });
        todo = again;
      }
      sb.portal.setFaults('');
      try {
        input.forEach((c, j) => assertExactlyOnce(c, final[j]));
      } catch (err) {
        throw new Error(`fault seed ${seed} (caller ${style}): ${(err as Error).message}`, { cause: err });
      }
      await client.close();
    }
    expect(retries).toBeGreaterThan(10);
  }, 60_000);

  it('looks up before re-creating when the caller says a create was attempted', async () => {
    const { loader, client } = setup();
    const c = company(1);
    const first = await loader.load([c]);
    sb.portal.resetCounters();
    const again = await loader.load([{ ...c, createAttempted: true }]);
    // Adopted, not re-created: updates may re-apply the same values, but no add runs.
    expect(Object.keys(sb.portal.counters.commandsByMethod).filter((m) => m.endsWith('.add'))).toEqual([]);
    expect(again[0]!.status === 'synced' && again[0]!.ids.companyId).toBe(
      first[0]!.status === 'synced' && first[0]!.ids.companyId,
    );
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
      ...synced,
      hash: 'h2',
      phones: [{ e164: '+74990000000' }, c.phones[1]!],
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
    expect(rb!.status === 'rejected' && rb!.detail).toMatch(/crm\.(company\.add: ERROR_CORE|item\.batchImport: )/);
    assertDelivered(good, rg!);
    await client.close();
  });

  it('updates exactly the entity whose content changed, with only the changed field, and reads no rows to add a phone', async () => {
    const { loader, client } = setup();
    const c = company(21);
    const [r1] = await loader.load([c]);
    const synced = asSynced(c, r1!);
    sb.portal.resetCounters();
    const withPhone: GoldenCompany = { ...synced, hash: 'h2', phones: [...c.phones, { e164: '+74951112233' }] };
    const [r2] = await loader.load([withPhone]);
    expect(sb.portal.counters.commandsByMethod).toEqual({ 'crm.company.update': 1 });
    const co = sb.portal.store.get('company', r1!.status === 'synced' ? r1!.ids.companyId! : 0)!;
    expect(rowValues(co.multi.PHONE)).toEqual(
      sorted(['+74951112233', phoneValue(c.phones[0]!), phoneValue(c.phones[1]!)]),
    );

    // A contact's position changes: its current value is read (a person may have changed it; one
    // read serves up to 50 entities), then one contact update carries that one field.
    sb.portal.resetCounters();
    const moved: GoldenCompany = {
      ...asSynced(withPhone, r2!),
      hash: 'h3',
      contacts: [{ ...c.contacts[0]!, position: 'Директор' }, c.contacts[1]!],
    };
    const [r3] = await loader.load([moved]);
    expect(sb.portal.counters.commandsByMethod).toEqual({ 'crm.contact.list': 1, 'crm.contact.update': 1 });
    const p1 = sb.portal.store.all('contact').find((x) => x.fields.ORIGIN_ID === c.contacts[0]!.goldenId)!;
    expect(p1.fields.POST).toBe('Директор');

    // Removing a phone of ours needs its row id: one bulk read, then one update.
    sb.portal.resetCounters();
    const fewer: GoldenCompany = {
      ...asSynced(moved, r3!),
      hash: 'h4',
      phones: [c.phones[0]!, { e164: '+74951112233' }],
    };
    const [r4] = await loader.load([fewer]);
    expect(r4!.status).toBe('synced');
    expect(sb.portal.counters.commandsByMethod).toEqual({ 'crm.company.list': 1, 'crm.company.update': 1 });
    expect(rowValues(sb.portal.store.get('company', co.id)!.multi.PHONE)).toEqual(
      sorted([phoneValue(c.phones[0]!), '+74951112233']),
    );
    await client.close();
  });

  it('never removes a phone a person added in the CRM', async () => {
    const { loader, client } = setup();
    const c = company(22);
    const [r1] = await loader.load([c]);
    const id = r1!.status === 'synced' ? r1!.ids.companyId! : 0;
    const { client: direct } = setup();
    await direct.call('crm.company.update', { id, fields: { PHONE: [{ VALUE: '+74950009999', VALUE_TYPE: 'WORK' }] } });
    const [r2] = await loader.load([{ ...asSynced(c, r1!), hash: 'h2', phones: [c.phones[0]!] }]);
    expect(r2!.status).toBe('synced');
    expect(rowValues(sb.portal.store.get('company', id)!.multi.PHONE)).toEqual(
      sorted([phoneValue(c.phones[0]!), '+74950009999']),
    );
    await Promise.all([client.close(), direct.close()]);
  });

  it('removes a requisite and a bank detail no source holds any more', async () => {
    const { loader, client } = setup();
    const c = company(23);
    const [r1] = await loader.load([c]);
    expect(
      sb.portal.store.all('requisite').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/rq/`)),
    ).toHaveLength(2);
    sb.portal.resetCounters();
    // The branch (KPP 540602001) is gone, and the account that hung on it moves to the head office.
    const fewer: GoldenCompany = {
      ...asSynced(c, r1!),
      hash: 'h2',
      requisites: [c.requisites[0]!],
      bankAccounts: [{ ...c.bankAccounts[0]!, kpp: '773601001' }],
    };
    const [r2] = await loader.load([fewer]);
    expect(r2!.status).toBe('synced');
    const rqs = sb.portal.store.all('requisite').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/rq/`));
    expect(rqs.map((x) => x.fields.RQ_KPP)).toEqual(['773601001']);
    const bds = sb.portal.store.all('bankdetail').filter((x) => x.fields.XML_ID?.startsWith(`${c.goldenId}/bd/`));
    expect(bds.map((x) => x.fields.ENTITY_ID)).toEqual([String(rqs[0]!.id)]);
    expect(r2!.status === 'synced' && Object.keys(r2!.ids.requisites)).toEqual(['773601001']);
    await client.close();
  });

  it('creates companies and contacts through crm.item.batchImport, 20 per command, and falls back to crm.*.add without it', async () => {
    const { loader, client } = setup();
    sb.portal.resetCounters();
    const input = Array.from({ length: 30 }, (_, i) => company(100 + i));
    const results = await loader.load(input);
    input.forEach((c, i) => assertExactlyOnce(c, results[i]));
    const used = sb.portal.counters.commandsByMethod;
    // 30 companies and 60 contacts: at least 2 + 3 imports, and per request at most one of each
    // type more than the 20-item limit asks for (an import is shared only inside one batch).
    const requests = sb.portal.counters.byMethod.batch ?? 0;
    expect(used['crm.item.batchimport']).toBeGreaterThanOrEqual(5);
    expect(used['crm.item.batchimport']).toBeLessThanOrEqual(5 + 2 * requests);
    expect(used['crm.company.add'] ?? 0).toBe(0);
    expect(used['crm.contact.add'] ?? 0).toBe(0);
    expect(Object.keys(used).filter((m) => m.endsWith('.get'))).toEqual([]);

    const { loader: plain, client: plainClient } = setup({ bulkImport: false });
    sb.portal.resetCounters();
    const more = Array.from({ length: 3 }, (_, i) => company(200 + i));
    (await plain.load(more)).forEach((r, i) => assertExactlyOnce(more[i]!, r));
    expect(sb.portal.counters.commandsByMethod['crm.item.batchimport'] ?? 0).toBe(0);
    await Promise.all([client.close(), plainClient.close()]);
  });

  it('treats what a state from before per-entity tracking marks as synced as current', async () => {
    const { loader, client } = setup();
    const c = company(24);
    const [r1] = await loader.load([c]);
    // The earlier release kept ids and the aggregate hash, no record of what was sent.
    const legacy = r1!.status === 'synced' ? { ...r1!.ids, sent: undefined } : undefined;
    sb.portal.resetCounters();
    const changed: GoldenCompany = {
      ...c,
      hash: 'h2',
      synced: { hash: 'h1', ids: legacy! },
      current: true,
      contacts: [
        { ...c.contacts[0]!, current: true },
        { ...c.contacts[1]!, position: 'Бухгалтер' },
      ],
    };
    const [r2] = await loader.load([changed]);
    expect(r2!.status).toBe('synced');
    // Only the changed contact is written (in full, once); nothing else is re-sent.
    expect(sb.portal.counters.commandsByMethod).toEqual({ 'crm.contact.update': 1 });
    await client.close();
  });

  describe('a CRM people already use', () => {
    /** A company as a sales manager entered it: no origin fields, a comment, an owner, the INN in a requisite. */
    async function personMade(
      client: Bitrix24Client,
      inn: string,
      title: string,
      contacts: Array<Record<string, unknown>>,
    ): Promise<{ id: number; contactIds: number[] }> {
      const id = Number(
        await client.call('crm.company.add', {
          fields: {
            TITLE: title,
            COMMENTS: 'звонить после 12',
            ASSIGNED_BY_ID: 7,
            PHONE: [{ VALUE: '+74950001122', VALUE_TYPE: 'WORK' }],
          },
        }),
      );
      await client.call('crm.requisite.add', {
        fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: id, PRESET_ID: 1, NAME: title, RQ_INN: inn, RQ_KPP: '773601001' },
      });
      const contactIds: number[] = [];
      for (const f of contacts)
        contactIds.push(Number(await client.call('crm.contact.add', { fields: { ...f, COMPANY_ID: id } })));
      return { id, contactIds };
    }
    const withInn = (c: GoldenCompany, inn: string): GoldenCompany => ({
      ...c,
      goldenId: inn,
      requisites: c.requisites.map((r) => ({ ...r, inn })),
    });

    it('adopts the company with its INN, its requisite and the contact people entered, keeping their title and comment', async () => {
      const { loader, client } = setup({ adopt: true });
      const c = withInn(company(31), '9900000031');
      const seeded = await personMade(client, '9900000031', 'Тест-31 (от менеджера)', [
        { NAME: 'Ваня', LAST_NAME: 'Иванов', EMAIL: [{ VALUE: 'ivan31@t.ru', VALUE_TYPE: 'WORK' }] },
      ]);
      const [r] = await loader.load([c]);
      expect(r).toMatchObject({
        status: 'synced',
        adopted: expect.arrayContaining(['c', 'rq:773601001', `ct:${c.contacts[0]!.goldenId}`]),
      });
      const ids = r!.status === 'synced' ? r!.ids : undefined;
      expect(ids?.companyId).toBe(seeded.id);
      expect(ids?.contacts[c.contacts[0]!.goldenId]?.id).toBe(seeded.contactIds[0]);
      const store = sb.portal.store;
      expect(store.all('company').filter((x) => x.id === seeded.id || x.fields.ORIGIN_ID === c.goldenId)).toHaveLength(
        1,
      );
      const co = store.get('company', seeded.id)!;
      // People's values stay; what was empty is filled, origin fields included (later look-ups find it).
      expect(co.fields).toMatchObject({
        TITLE: 'Тест-31 (от менеджера)',
        COMMENTS: 'звонить после 12',
        ASSIGNED_BY_ID: '7',
        ORIGINATOR_ID: 'crm-unify',
        ORIGIN_ID: c.goldenId,
      });
      expect(rowValues(co.multi.PHONE)).toEqual(sorted(['+74950001122', ...c.phones.map(phoneValue)]));
      expect(r!.status === 'synced' && r!.conflicts.map((x) => `${x.entity}.${x.field}`)).toEqual(
        expect.arrayContaining(['c.TITLE']),
      );
      const kept = store.get('contact', seeded.contactIds[0]!)!;
      expect(kept.fields).toMatchObject({ NAME: 'Ваня', LAST_NAME: 'Иванов', ORIGIN_ID: c.contacts[0]!.goldenId });
      expect(store.all('contact').filter((x) => x.fields.COMPANY_ID === String(seeded.id))).toHaveLength(2); // + the second golden contact
      expect(
        store
          .all('requisite')
          .filter((x) => x.fields.ENTITY_ID === String(seeded.id))
          .map((x) => x.fields.RQ_KPP)
          .sort(),
      ).toEqual(['540602001', '773601001']);
      // Loaded again with nothing new: nothing written.
      sb.portal.resetCounters();
      await loader.load([{ ...c, synced: { hash: r!.status === 'synced' ? r!.hash : '', ids: ids! } }]);
      expect(sb.portal.counters.writes).toBe(0);
      await client.close();
    });

    it('adopts a contact people entered in an adopted company when its golden contact arrives later', async () => {
      const { loader, client } = setup({ adopt: true });
      const full = withInn(company(36), '9900000036');
      const seeded = await personMade(client, '9900000036', 'Тест-36', [
        { NAME: 'Пётр', LAST_NAME: 'Петров', PHONE: [{ VALUE: '8 (916) 765-43-21', VALUE_TYPE: 'MOBILE' }] },
      ]);
      const [r1] = await loader.load([{ ...full, contacts: [full.contacts[0]!] }]);
      // The other store's record brings a person with the mobile a manager typed in another format.
      const later: GoldenCompany = {
        ...asSynced(full, r1!),
        hash: 'h2',
        contacts: [full.contacts[0]!, { ...full.contacts[1]!, phones: [{ e164: '+79167654321', type: 'MOBILE' }] }],
      };
      sb.portal.resetCounters();
      const [r2] = await loader.load([later]);
      expect(r2).toMatchObject({ status: 'synced', adopted: [`ct:${full.contacts[1]!.goldenId}`] });
      expect(r2!.status === 'synced' && r2!.ids.contacts[full.contacts[1]!.goldenId]?.id).toBe(seeded.contactIds[0]);
      expect(sb.portal.counters.commandsByMethod['crm.contact.add'] ?? 0).toBe(0);
      expect(sb.portal.store.all('contact').filter((x) => x.fields.COMPANY_ID === String(seeded.id))).toHaveLength(2);
      await client.close();
    });

    it('never twins what people entered when answers are lost during adoption', async () => {
      sb.portal.resetCounters();
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const { loader, client } = setup({
          adopt: true,
          retryBaseMs: 1,
          retryMaxMs: 4,
          maxRounds: 200,
          unansweredSettleMs: 0,
        });
        const inn = `98${String(seed).padStart(8, '0')}`;
        const c = withInn(company(40 + seed), inn);
        const seeded = await personMade(client, inn, `Тест-${seed}`, [
          { LAST_NAME: 'Иванов', EMAIL: [{ VALUE: `ivan${40 + seed}@t.ru`, VALUE_TYPE: 'WORK' }] },
        ]);
        sb.portal.setFaults('lost=0.35,500=0.1', seed);
        let input: GoldenCompany = c;
        let r: LoadResult | undefined;
        for (let attempt = 0; attempt < 20; attempt++) {
          [r] = await loader.load([input]);
          if (r!.status === 'synced') break;
          input = { ...c, synced: { hash: '', ids: r!.ids }, createAttempted: true };
        }
        sb.portal.setFaults('');
        expect(r!.status, `seed ${seed}`).toBe('synced');
        const store = sb.portal.store;
        const companies = store
          .all('requisite')
          .filter((x) => x.fields.RQ_INN === inn)
          .map((x) => x.fields.ENTITY_ID);
        expect(new Set(companies), `seed ${seed}`).toEqual(new Set([String(seeded.id)]));
        expect(
          store.all('requisite').filter((x) => x.fields.RQ_INN === inn && x.fields.RQ_KPP === '773601001'),
          `seed ${seed}`,
        ).toHaveLength(1);
        const people = store.all('contact').filter((x) => x.fields.COMPANY_ID === String(seeded.id));
        expect(
          people.filter((x) => x.fields.LAST_NAME === 'Иванов'),
          `seed ${seed}`,
        ).toHaveLength(1);
        expect(
          people.map((x) => x.id),
          `seed ${seed}`,
        ).toContain(seeded.contactIds[0]);
        await client.close();
      }
      expect(sb.portal.counters.faults.lost).toBeGreaterThan(0);
    }, 60_000);

    it('adopts the oldest of twins and reports the others; creates what no CRM company holds', async () => {
      const { loader, client } = setup({ adopt: true });
      const a = await personMade(client, '9900000032', 'Тест-32', []);
      const b = await personMade(client, '9900000032', 'Тест-32 дубль', []);
      const [r1, r2] = await loader.load([withInn(company(32), '9900000032'), withInn(company(33), '9900000033')]);
      expect(r1).toMatchObject({ status: 'synced', twins: [b.id] });
      expect(r1!.status === 'synced' && r1!.ids.companyId).toBe(a.id);
      expect(r2).toMatchObject({ status: 'synced', adopted: [] });
      expect(sb.portal.store.all('company').filter((x) => x.fields.ORIGIN_ID === '9900000033')).toHaveLength(1);
      await client.close();
    });

    it('keeps a title a person changed since the last write, or overwrites it when told to', async () => {
      for (const policy of ['keep-crm', 'overwrite'] as const) {
        const { loader, client } = setup({ adopt: true, conflicts: policy });
        const inn = policy === 'keep-crm' ? '9900000034' : '9900000035';
        const c = withInn(company(34), inn);
        const [r1] = await loader.load([c]);
        const id = r1!.status === 'synced' ? r1!.ids.companyId! : 0;
        await client.call('crm.company.update', { id, fields: { TITLE: 'Исправлено менеджером' } });
        const [r2] = await loader.load([{ ...asSynced(c, r1!), hash: 'h2', name: 'Новое имя из магазина' }]);
        expect(r2).toMatchObject({
          status: 'synced',
          conflicts: [
            expect.objectContaining({
              entity: 'c',
              field: 'TITLE',
              crmValue: 'Исправлено менеджером',
              sourceValue: 'Новое имя из магазина',
            }),
          ],
        });
        expect(sb.portal.store.get('company', id)!.fields.TITLE).toBe(
          policy === 'keep-crm' ? 'Исправлено менеджером' : 'Новое имя из магазина',
        );
        await client.close();
      }
    });
  });
});
