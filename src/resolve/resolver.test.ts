import { beforeEach, describe, expect, it } from 'vitest';
import type { CanonicalChange } from '../model/index.js';
import { getPosition, goldenContacts, listRejects } from '../state/helpers.js';
import { MemoryStateStore } from '../state/memory-store.js';
import type { GoldenContactState } from '../state/records.js';
import { at, company, contact, del, line, mobile, person, upsert } from './fixtures.js';
import { companyProvenance } from './provenance.js';
import { Resolver } from './resolver.js';

const INN = '7707083893';
let store: MemoryStateStore;
let resolver: Resolver;
let offset = 0;

beforeEach(() => {
  store = new MemoryStateStore();
  resolver = new Resolver(store, { now: () => new Date('2024-06-01T00:00:00Z') });
  offset = 0;
});

async function feed(...changes: CanonicalChange[]) {
  const results = [];
  for (const c of changes) results.push(await resolver.resolve(c, { ref: `p0@${offset++}` }));
  return results;
}

async function activeContacts(inn = INN): Promise<GoldenContactState[]> {
  const out = [];
  for await (const c of goldenContacts(store, inn)) if (c.status === 'active') out.push(c);
  return out;
}

const members = (c: GoldenContactState) => Object.keys(c.contributions).sort();

describe('company resolution by INN', () => {
  it('makes one golden company per INN, a requisite per KPP, united bank accounts, phones and e-mails', async () => {
    await feed(
      upsert(
        company({
          sourceId: '1',
          kpp: '773601001',
          phones: [line('+74955005550')],
          emails: ['info@romashka.ru'],
          bankAccounts: [{ bik: '044525225', account: '40702810938000000001' }],
        }),
      ),
      upsert(
        company({
          source: 'shop-b',
          sourceId: 'P1',
          kpp: '773602001',
          changedAt: at(5),
          phones: [line('+74955005550'), line('+74955005551', '12')],
          emails: ['sales@romashka.ru'],
          bankAccounts: [
            { bik: '044525225', account: '40702810938000000001', bankName: 'ПАО СБЕРБАНК' },
            { bik: '044525974', account: '40702810100000000002' },
          ],
        }),
      ),
    );
    const golden = await store.get('companies', INN);
    expect(golden?.status).toBe('active');
    expect(Object.keys(golden!.contributions).sort()).toEqual(['shop-a|1', 'shop-b|P1']);
    const r = golden!.record!;
    expect(r.requisites.map((q) => q.kpp)).toEqual(['773601001', '773602001']);
    expect(r.bankAccounts.map((b) => `${b.bik}:${b.account}:${b.bankName ?? ''}`)).toEqual([
      '044525225:40702810938000000001:ПАО СБЕРБАНК',
      '044525974:40702810100000000002:',
    ]);
    expect(r.phones.map((p) => `${p.e164}${p.ext ? `;${p.ext}` : ''}`)).toEqual(['+74955005550', '+74955005551;12']);
    expect(r.emails).toEqual(['info@romashka.ru', 'sales@romashka.ru']);
    expect(golden!.delivery).toBe('pending');
    expect(await store.get('pending', `company|${INN}`)).toEqual({ entity: 'company', id: INN });
  });

  it('keeps a single requisite with KPP "" when no source gives one', async () => {
    await feed(upsert(company({ inn: '500100732259', name: 'ИП Петров П.П.' })));
    expect((await store.get('companies', '500100732259'))?.record?.requisites).toEqual([
      { kpp: '', name: 'ИП Петров П.П.' },
    ]);
  });

  it('keeps two INNs apart', async () => {
    await feed(upsert(company({ sourceId: '1' })), upsert(company({ sourceId: '2', inn: '7736207543' })));
    expect(await store.count('companies')).toBe(2);
  });
});

describe('survivorship', () => {
  it('takes the newest non-empty value per field by source change time, whatever the arrival order', async () => {
    const newer = company({
      source: 'shop-b',
      sourceId: 'P1',
      changedAt: at(10),
      name: 'ООО "Ромашка-Н"',
      address: '',
    });
    const older = company({
      sourceId: '1',
      changedAt: at(1),
      name: 'ООО "Ромашка"',
      address: 'г. Москва',
      fullName: 'Общество',
    });
    await feed(upsert(newer), upsert(older));
    const c = await store.get('companies', INN);
    expect(c?.record).toMatchObject({ name: 'ООО "Ромашка-Н"', address: 'г. Москва', fullName: 'Общество' });
    // Provenance is not stored: it is rebuilt from the contributions, the way the record was built.
    expect(c).not.toHaveProperty('provenance');
    const provenance = companyProvenance(c!);
    const prov = Object.fromEntries(provenance.map((p) => [p.source, p.fields]));
    expect(prov['shop-b']).toContain('name');
    expect(prov['shop-a']).toEqual(expect.arrayContaining(['address', 'fullName']));
    expect(provenance.map((p) => p.position)).toEqual(['p0@0', 'p0@1']);
  });

  it('breaks equal change times by source then sourceId', async () => {
    await feed(
      upsert(company({ source: 'shop-b', sourceId: 'P1', name: 'B' })),
      upsert(company({ sourceId: '1', name: 'A' })),
    );
    expect((await store.get('companies', INN))?.record?.name).toBe('A');
  });

  it('ignores a version older than the one already applied (stale), a delete included', async () => {
    const [, r2, r3] = await feed(
      upsert(company({ changedAt: at(10), name: 'new' })),
      upsert(company({ changedAt: at(5), name: 'old' })),
      del('company', 'shop-a', '1', at(1)),
    );
    expect([r2?.outcome, r3?.outcome]).toEqual(['stale', 'stale']);
    expect((await store.get('companies', INN))?.record?.name).toBe('new');
  });
});

describe('contact resolution within the company', () => {
  const co = upsert(company({ phones: [line('+74955005550')], emails: ['info@romashka.ru'] }));

  it('merges on the same e-mail (folded)', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', emails: ['Ivan@romashka.ru'] })),
      person(contact({ sourceId: 'c2', emails: ['ivan@romashka.ru '] })),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1', 'shop-a|c2']]);
  });

  it('merges on the same mobile and on the same extension of a switchboard', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', phones: [mobile('+79161234567')] })),
      person(contact({ sourceId: 'c2', phones: [mobile('+79161234567')] })),
      person(contact({ sourceId: 'c3', phones: [line('+74955005559', '12')] })),
      person(contact({ sourceId: 'c4', phones: [line('+74955005559', '12')] })),
    );
    expect((await activeContacts()).map(members)).toEqual([
      ['shop-a|c1', 'shop-a|c2'],
      ['shop-a|c3', 'shop-a|c4'],
    ]);
  });

  it('does not merge on a shared switchboard with different extensions, nor on its bare number', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', phones: [line('+74955005559', '12')] })),
      person(contact({ sourceId: 'c2', phones: [line('+74955005559', '13')] })),
      person(contact({ sourceId: 'c3', phones: [line('+74955005559')] })),
      person(contact({ sourceId: 'c4', phones: [line('+74955005559')] })),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1'], ['shop-a|c2'], ['shop-a|c3'], ['shop-a|c4']]);
  });

  it("does not merge on the company's own number or mailbox", async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', phones: [line('+74955005550')], emails: ['info@romashka.ru'] })),
      person(contact({ sourceId: 'c2', phones: [line('+74955005550')], emails: ['info@romashka.ru'] })),
    );
    expect(await activeContacts()).toHaveLength(2);
  });

  it('merges on the same full name (ё/е, case and spacing folded)', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', lastName: 'Фёдоров', firstName: 'Пётр' })),
      person(contact({ sourceId: 'c2', lastName: 'федоров ', firstName: 'ПЕТР' })),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1', 'shop-a|c2']]);
  });

  it('merges a name written in Latin with its Cyrillic spelling, and shows the spelled-out name over initials', async () => {
    await feed(
      co,
      person(
        contact({
          sourceId: 'c1',
          changedAt: at(1),
          lastName: 'Лукина',
          firstName: 'Лидия',
          middleName: 'Семёновна',
          emails: ['l@x.ru'],
        }),
      ),
      person(
        contact({ sourceId: 'c2', changedAt: at(2), lastName: 'Lukina', firstName: 'Lidiya', middleName: 'Semenovna' }),
      ),
      person(
        contact({
          sourceId: 'c3',
          changedAt: at(3),
          lastName: 'Лукина',
          firstName: 'Л.',
          middleName: 'С.',
          emails: ['l@x.ru'],
        }),
      ),
    );
    const all = await activeContacts();
    expect(all.map(members)).toEqual([['shop-a|c1', 'shop-a|c2', 'shop-a|c3']]);
    expect(all[0]!.record).toMatchObject({ lastName: 'Лукина', firstName: 'Lidiya', middleName: 'Semenovna' });
  });

  it('never keys initials: "Лукина Л. С." joins "Лукина Лидия Семеновна" only as the one full name it fits (partial-names.test.ts)', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', lastName: 'Лукина', firstName: 'Лидия', middleName: 'Семеновна' })),
      person(contact({ sourceId: 'c2', lastName: 'Лукина', firstName: 'Л.', middleName: 'С.' })),
      person(contact({ sourceId: 'c3', lastName: 'Лукина', firstName: 'Л.', middleName: 'С.' })),
    );
    const all = await activeContacts();
    expect(all.map(members)).toEqual([['shop-a|c1', 'shop-a|c2', 'shop-a|c3']]);
    expect(all[0]!.keys).toEqual(['name:lukina|lidia|semenovna']);
    // Without the full name, the same surname and initials with nothing telling them apart are
    // still one person, and still no key.
    await feed(del('contact', 'shop-a', 'c1', at(9)));
    const left = await activeContacts();
    expect(left.map(members)).toEqual([['shop-a|c2', 'shop-a|c3']]);
    expect(left[0]!.keys).toEqual([]);
  });

  it('keeps namesakes apart when their own mobiles tell them apart; a record with the name alone then joins neither', async () => {
    await feed(
      co,
      person(
        contact({
          sourceId: 'c1',
          lastName: 'Орлов',
          firstName: 'Иван',
          middleName: 'Петрович',
          phones: [mobile('+79160000001')],
        }),
      ),
      person(
        contact({
          sourceId: 'c2',
          lastName: 'Орлов',
          firstName: 'Иван',
          middleName: 'Петрович',
          phones: [mobile('+79160000002')],
        }),
      ),
      person(
        contact({
          sourceId: 'c3',
          lastName: 'Орлов',
          firstName: 'Иван',
          middleName: 'Петрович',
          phones: [mobile('+79160000002')],
          emails: ['o@x.ru'],
        }),
      ),
      person(contact({ sourceId: 'c4', lastName: 'Орлов', firstName: 'Иван', middleName: 'Петрович' })),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1'], ['shop-a|c2', 'shop-a|c3'], ['shop-a|c4']]);
  });

  it('tells namesakes apart by their extensions of one switchboard too', async () => {
    await feed(
      co,
      person(
        contact({
          sourceId: 'c1',
          lastName: 'Орлов',
          firstName: 'Иван',
          middleName: 'Петрович',
          phones: [line('+74955005559', '101')],
        }),
      ),
      person(
        contact({
          sourceId: 'c2',
          lastName: 'Orlov',
          firstName: 'Ivan',
          middleName: 'Petrovich',
          phones: [line('+74955005559', '102')],
        }),
      ),
    );
    expect(await activeContacts()).toHaveLength(2);
  });

  it('gives a name without patronymic the only patronymic the company knows for it, none when there are two (father and son)', async () => {
    await feed(
      co,
      person(
        contact({ sourceId: 'c1', lastName: 'Орлов', firstName: 'Иван', middleName: 'Петрович', emails: ['a@x.ru'] }),
      ),
      person(contact({ sourceId: 'c2', lastName: 'орлов', firstName: 'Иван' })),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1', 'shop-a|c2']]);
    await feed(
      person(
        contact({ sourceId: 'c3', lastName: 'Орлов', firstName: 'Иван', middleName: 'Иванович', emails: ['b@x.ru'] }),
      ),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1'], ['shop-a|c2'], ['shop-a|c3']]);
  });

  it('does not merge colleagues on a mailbox or bare number the company record does not list but two names share', async () => {
    await feed(
      co,
      person(
        contact({
          sourceId: 'c1',
          lastName: 'Орлов',
          firstName: 'Иван',
          emails: ['office@x.ru'],
          phones: [line('+74957770000')],
        }),
      ),
      person(
        contact({
          sourceId: 'c2',
          lastName: 'Попова',
          firstName: 'Анна',
          emails: ['office@x.ru'],
          phones: [line('+74957770000')],
        }),
      ),
    );
    expect(await activeContacts()).toHaveLength(2);
  });

  it('does not merge on the same first name only or the same surname only', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', lastName: 'Иванов', firstName: 'Иван' })),
      person(contact({ sourceId: 'c2', lastName: 'Петров', firstName: 'Иван' })),
      person(contact({ sourceId: 'c3', lastName: 'Иванов', firstName: 'Пётр' })),
      person(contact({ sourceId: 'c4', firstName: 'Иван' })),
      person(contact({ sourceId: 'c5', lastName: 'Иванов' })),
    );
    expect(await activeContacts()).toHaveLength(5);
  });

  it('does not resolve contacts across companies', async () => {
    await feed(
      co,
      upsert(company({ sourceId: '2', inn: '7736207543' })),
      person(contact({ sourceId: 'c1', emails: ['ivan@x.ru'] })),
      person(contact({ sourceId: 'c2', emails: ['ivan@x.ru'], company: { source: 'shop-a', sourceId: '2' } })),
    );
    expect(await activeContacts()).toHaveLength(1);
    expect(await activeContacts('7736207543')).toHaveLength(1);
  });

  it('matches transitively: e-mail then phone', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', emails: ['a@x.ru'] })),
      person(contact({ sourceId: 'c2', emails: ['a@x.ru'], phones: [mobile('+79160000001')] })),
      person(contact({ sourceId: 'c3', phones: [mobile('+79160000001')] })),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1', 'shop-a|c2', 'shop-a|c3']]);
  });

  it('merges two golden contacts bridged by a new record: the older id stays, the other is merged_into it', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', emails: ['a@x.ru'] })),
      person(contact({ sourceId: 'c2', phones: [mobile('+79160000001')] })),
    );
    const [g1, g2] = await activeContacts();
    expect(g1!.seq).toBeLessThan(g2!.seq);
    await resolver.markSynced(g2!.id, { contact: '502' }, g2!.hash);
    const [r] = await feed(person(contact({ sourceId: 'c3', emails: ['a@x.ru'], phones: [mobile('+79160000001')] })));
    expect(r?.merges).toEqual([{ kept: g1!.id, merged: [g2!.id] }]);
    const kept = await store.get('contacts', g1!.id);
    const gone = await store.get('contacts', g2!.id);
    expect(members(kept!)).toEqual(['shop-a|c1', 'shop-a|c2', 'shop-a|c3']);
    expect(kept!.mergedFrom).toEqual([{ goldenId: g2!.id, crmId: '502' }]);
    expect(kept!.delivery).toBe('pending');
    expect(gone).toMatchObject({ status: 'merged', mergedInto: g1!.id, delivery: 'none' });
    expect(await store.get('links', 'ct|shop-a|c2')).toMatchObject({ goldenId: g1!.id });
    expect(await store.count('matchKeys')).toBe(0); // no index of match keys is written (format 2)
    expect((await store.get('companies', INN))?.contactIds).toEqual([g1!.id]);
    // The loader applied the merge in the CRM: the pending merge is cleared with the sync.
    await resolver.markSynced(g1!.id, { contact: '501' }, kept!.hash);
    expect(await store.get('contacts', g1!.id)).toMatchObject({ mergedFrom: [], delivery: 'synced' });
  });

  it('splits a contact when a number turns out to be a switchboard', async () => {
    await feed(
      co,
      person(contact({ sourceId: 'c1', phones: [line('+74955005559')] })),
      person(contact({ sourceId: 'c2', phones: [line('+74955005559')] })),
    );
    const [only] = await activeContacts();
    await feed(person(contact({ sourceId: 'c3', phones: [line('+74955005559', '7')] })));
    const after = await activeContacts();
    expect(after.map(members)).toEqual([['shop-a|c1'], ['shop-a|c2'], ['shop-a|c3']]);
    expect(after[0]!.id).toBe(only!.id);
  });
});

describe('Shop A contacts known only by company_id', () => {
  it('parks a contact whose company is unknown and attaches it when the company arrives', async () => {
    const [r] = await feed(
      person(contact({ sourceId: 'c1', emails: ['a@x.ru'], company: { source: 'shop-a', sourceId: '9' } })),
    );
    expect(r?.outcome).toBe('parked');
    expect((await store.stats()).links.parkedContacts).toBe(1);
    await feed(upsert(company({ sourceId: '9' })));
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1']]);
    expect((await store.stats()).links.parkedContacts).toBe(0);
    expect(await store.get('links', 'ct|shop-a|c1')).toMatchObject({ inn: INN, parked: null });
  });

  it('rejects a contact with no company at all (COMPANY_UNKNOWN) in the same batch', async () => {
    const [r] = await feed(person(contact({ sourceId: 'c1', company: null })));
    expect(r).toMatchObject({ outcome: 'rejected', reason: 'COMPANY_UNKNOWN' });
    const rejects = [];
    for await (const x of listRejects(store, { reason: 'COMPANY_UNKNOWN' })) rejects.push(x);
    expect(rejects).toMatchObject([{ sourceId: 'c1', position: 'p0@0' }]);
  });

  it('moves a company record and its contacts when its INN is corrected', async () => {
    await feed(
      upsert(company({ inn: '7736207543', changedAt: at(1) })),
      person(contact({ sourceId: 'c1', emails: ['a@x.ru'] })),
    );
    await feed(upsert(company({ changedAt: at(2) })));
    expect((await store.get('companies', '7736207543'))?.status).toBe('deleted');
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1']]);
  });
});

describe('source deletes', () => {
  it('keeps a company deleted in one store and present in another, rebuilt from the rest', async () => {
    await feed(
      upsert(company({ sourceId: '1', name: 'A', changedAt: at(2) })),
      upsert(company({ source: 'shop-b', sourceId: 'P1', name: 'B', changedAt: at(1) })),
    );
    expect((await store.get('companies', INN))?.record?.name).toBe('A');
    await feed(del('company', 'shop-a', '1', at(3)));
    const c = await store.get('companies', INN);
    expect(c).toMatchObject({ status: 'active', record: { name: 'B' } });
    expect(Object.keys(c!.contributions)).toEqual(['shop-b|P1']);
  });

  it('marks a company with no contribution left deleted, pending a CRM delete once it was synced', async () => {
    await feed(upsert(company({ sourceId: '1' }), [contact({ sourceId: 'c1', emails: ['a@x.ru'] })]));
    const c = await store.get('companies', INN);
    await resolver.markSynced(INN, { company: '11' }, c!.hash);
    await feed(del('company', 'shop-a', '1', at(3)));
    expect(await store.get('companies', INN)).toMatchObject({ status: 'deleted', delivery: 'pending', record: null });
    expect(await store.get('pending', `company|${INN}`)).toBeDefined();
    const contacts = [];
    for await (const x of goldenContacts(store)) contacts.push(x);
    expect(contacts.map((x) => x.status)).toEqual(['deleted']);
  });

  it('withdraws a contact a newer company version no longer lists (Shop B)', async () => {
    const b = (t: number) => company({ source: 'shop-b', sourceId: 'P1', changedAt: at(t) });
    const c1 = contact({ source: 'shop-b', sourceId: 'P1/C-1', company: null, emails: ['a@x.ru'] });
    const c2 = contact({ source: 'shop-b', sourceId: 'P1/C-2', company: null, emails: ['b@x.ru'] });
    await feed(upsert(b(1), [c1, c2]), upsert(b(2), [c1]));
    expect((await activeContacts()).map(members)).toEqual([['shop-b|P1/C-1']]);
    await feed(upsert(b(3), [c1, c2]));
    expect(await activeContacts()).toHaveLength(2);
  });

  it('withdraws a deleted contact record', async () => {
    await feed(
      upsert(company()),
      person(contact({ sourceId: 'c1', emails: ['a@x.ru'] })),
      person(contact({ sourceId: 'c2', emails: ['a@x.ru'] })),
      del('contact', 'shop-a', 'c2', at(5)),
    );
    expect((await activeContacts()).map(members)).toEqual([['shop-a|c1']]);
  });
});

describe('change detection and delivery', () => {
  const input = () => [
    upsert(company({ sourceId: '1', kpp: '773601001' }), []),
    person(contact({ sourceId: 'c1', lastName: 'Иванов', firstName: 'Иван', emails: ['i@x.ru'] })),
    upsert(company({ source: 'shop-b', sourceId: 'P1', changedAt: at(1) }), [
      contact({ source: 'shop-b', sourceId: 'P1/C-1', company: null, lastName: 'Иванов', firstName: 'Иван' }),
    ]),
  ];

  async function syncAll() {
    for await (const [, m] of store.iterate('pending')) {
      const s = m.entity === 'company' ? await store.get('companies', m.id) : await store.get('contacts', m.id);
      await resolver.markSynced(
        m.id,
        m.entity === 'company' ? { company: `co-${m.id}` } : { contact: `ct-${m.id}` },
        s!.hash,
      );
    }
  }

  it('leaves nothing pending when identical input is replayed after markSynced', async () => {
    await feed(...input());
    expect((await store.stats()).pending).toBe(2);
    await syncAll();
    expect((await store.stats()).pending).toBe(0);
    const results = await feed(...input());
    expect(results.map((r) => r.pending.length)).toEqual([0, 0, 0]);
    expect(results.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const s = await store.stats();
    expect(s.pending).toBe(0);
    expect(s.companies).toMatchObject({ synced: 1, pending: 0 });
  });

  it('never marks a record synced by itself, and keeps it pending when it changed after the CRM write', async () => {
    await feed(...input());
    const before = await store.get('companies', INN);
    await feed(upsert(company({ sourceId: '1', kpp: '773601001', changedAt: at(9), address: 'новый адрес' })));
    const r = await resolver.markSynced(INN, { company: '7' }, before!.hash);
    expect(r.delivery).toBe('pending');
    expect(await store.get('companies', INN)).toMatchObject({ delivery: 'pending', synced: { crmId: '7' } });
    expect(await store.get('crmIds', INN)).toEqual({ company: '7' });
  });
});

describe('Resolver', () => {
  it('writes the source position in the same batch as the state', async () => {
    await resolver.resolve(upsert(company()), {
      ref: 'p3@41',
      commit: { source: 'shop-b', partition: '3', resume: '42' },
    });
    expect(await getPosition(store, 'shop-b', '3')).toBe('42');
    expect(await store.get('companies', INN)).toBeDefined();
  });

  it('serializes concurrent changes to one company: same result as one at a time', async () => {
    const changes: CanonicalChange[] = [upsert(company())];
    for (let i = 0; i < 40; i++) {
      changes.push(
        person(contact({ sourceId: `c${i}`, emails: [`p${i % 7}@x.ru`], phones: [mobile(`+7916000000${i % 5}`)] })),
      );
    }
    await Promise.all(changes.map((c, i) => resolver.resolve(c, { ref: `p0@${i}` })));
    const concurrent = (await activeContacts()).map(members);
    store = new MemoryStateStore();
    resolver = new Resolver(store);
    for (const [i, c] of changes.entries()) await resolver.resolve(c, { ref: `p0@${i}` });
    expect(concurrent).toEqual((await activeContacts()).map(members));
    expect(concurrent).toHaveLength(1);
  });

  it('stays correct with a cache far smaller than the working set (evictions, reloads)', async () => {
    const changes: CanonicalChange[] = [];
    for (let c = 0; c < 20; c++) {
      changes.push(upsert(company({ sourceId: `${c}`, inn: String(7_700_000_000 + c) })));
      for (let i = 0; i < 5; i++) {
        changes.push(
          person(
            contact({
              sourceId: `c${c}-${i}`,
              company: { source: 'shop-a', sourceId: `${c}` },
              emails: [`p${i % 2}@x.ru`],
            }),
          ),
        );
      }
    }
    const tiny = new Resolver(store, { cacheEntries: 3, maxBatchOps: 7 });
    await Promise.all(changes.map((c, i) => tiny.resolve(c, { ref: `p0@${i}` })));
    const s = await store.stats();
    expect(s.companies.total).toBe(20);
    expect(s.contacts.active).toBe(40);
    expect(s.links.parkedContacts).toBe(0);
    expect(tiny.cacheStats().entries).toBeLessThan(60);
  });

  it('stops with STATE_STORE_FAILED after a failed write instead of acking', async () => {
    const broken = new MemoryStateStore();
    broken.batch = async () => {
      throw new Error('disk full');
    };
    const r = new Resolver(broken);
    await expect(r.resolve(upsert(company()), { ref: 'p0@0' })).rejects.toThrow('disk full');
    await expect(r.resolve(upsert(company()), { ref: 'p0@1' })).rejects.toMatchObject({ code: 'STATE_STORE_FAILED' });
  });
});
