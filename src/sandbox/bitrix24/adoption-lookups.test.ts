/**
 * The bulk look-ups adoption makes against a portal people filled (issue 13): requisites by a
 * list of INNs, companies and contacts by a list of ids or company ids, and the audit fields
 * that tell a person's edit from the webhook's own write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { innCheckDigits } from '../../identifiers/index.js';
import type { CrmSeedResult, PortalServer } from './index.js';
import { ok, testPortal } from './test-helpers.js';

const inn = (i: number): string => {
  const body = `77${String(i).padStart(7, '0')}`;
  return body + innCheckDigits(body);
};
const INNS = Array.from({ length: 50 }, (_, i) => inn(i + 1));
const CONTACT_FIELDS = [
  'ID',
  'COMPANY_ID',
  'NAME',
  'LAST_NAME',
  'SECOND_NAME',
  'PHONE',
  'EMAIL',
  'DATE_CREATE',
  'DATE_MODIFY',
  'MODIFY_BY_ID',
  'ORIGINATOR_ID',
  'ORIGIN_ID',
];

let srv: PortalServer;
let hook: string;
let seeded: CrmSeedResult;
beforeAll(async () => {
  srv = await testPortal({
    crmSeed: {
      companies: [
        ...INNS.map((x, i) => ({
          title: `Компания ${i + 1}`,
          requisites: [{ inn: x }],
          contacts: [{ name: `Имя${i + 1}`, lastName: 'Фамилия', emails: [`p${i + 1}@example.ru`] }],
        })),
        // twins people made: three INNs twice, one of them with two requisites
        ...[3, 17, 40].map((n) => ({
          title: `Компания ${n} (2)`,
          requisites: [{ inn: inn(n) }, { inn: inn(n), kpp: '770101001' }],
        })),
        { title: 'Не из списка', requisites: [{ inn: inn(99) }] },
      ],
    },
  });
  hook = srv.webhookUrl;
  seeded = srv.crmSeed as CrmSeedResult;
});
afterAll(() => srv.stop());

describe('crm.requisite.list by a list of INNs', () => {
  it('finds every company holding one of 50 INNs, twins included, paged by 50', async () => {
    // a contact's requisite with one of the INNs must not come back under ENTITY_TYPE_ID 4
    const contactId = seeded.companies[0]!.contactIds[0]!;
    await ok(hook, 'crm.requisite.add', {
      fields: { ENTITY_TYPE_ID: 3, ENTITY_ID: contactId, PRESET_ID: 3, NAME: 'Физлицо', RQ_INN: INNS[0] },
    });
    const params = {
      filter: { ENTITY_TYPE_ID: 4, '@RQ_INN': INNS },
      select: ['ENTITY_ID', 'RQ_INN', 'ID'],
      order: { ID: 'ASC' },
    };
    const first = await srv.portal.handle({ user: '1', secret: 'sandbox', method: 'crm.requisite.list', params });
    const body = first.body as { result: Array<Record<string, string>>; total: number; next?: number };
    expect(body.total).toBe(50 + 6);
    expect(body.next).toBe(50);
    expect(Object.keys(body.result[0]!).sort()).toEqual(['ENTITY_ID', 'ID', 'RQ_INN']);
    const rest = await ok<Array<Record<string, string>>>(hook, 'crm.requisite.list', { ...params, start: 50 });
    const all = [...body.result, ...rest];
    const companiesByInn = new Map<string, Set<string>>();
    for (const r of all) companiesByInn.set(r.RQ_INN!, (companiesByInn.get(r.RQ_INN!) ?? new Set()).add(r.ENTITY_ID!));
    expect(companiesByInn.size).toBe(50);
    expect([...companiesByInn].filter(([, ids]) => ids.size > 1).map(([x]) => x)).toEqual([inn(3), inn(17), inn(40)]);
    expect(all.some((r) => r.RQ_INN === inn(99))).toBe(false);
  });
});

describe('crm.company.list / crm.contact.list by a list of ids', () => {
  it('reads companies by @ID and their contacts by @COMPANY_ID with the audit and origin fields', async () => {
    const ids = seeded.companies.slice(0, 3).map((c) => c.id);
    const companies = await ok<Array<Record<string, unknown>>>(hook, 'crm.company.list', {
      filter: { '@ID': ids },
      select: ['ID', 'TITLE', 'DATE_CREATE', 'DATE_MODIFY', 'MODIFY_BY_ID', 'ORIGINATOR_ID', 'ORIGIN_ID'],
    });
    expect(companies.map((c) => c.ID)).toEqual(ids.map(String));
    expect(companies[0]).toEqual({
      ID: String(ids[0]),
      TITLE: 'Компания 1',
      DATE_CREATE: expect.any(String),
      DATE_MODIFY: expect.any(String),
      MODIFY_BY_ID: '7',
      ORIGINATOR_ID: null,
      ORIGIN_ID: null,
    });

    const contacts = await ok<Array<Record<string, unknown>>>(hook, 'crm.contact.list', {
      filter: { '@COMPANY_ID': ids },
      select: CONTACT_FIELDS,
    });
    expect(contacts.map((c) => c.COMPANY_ID)).toEqual(ids.map(String));
    expect(Object.keys(contacts[0]!).sort()).toEqual([...CONTACT_FIELDS].filter((f) => f !== 'PHONE').sort()); // no phone: no PHONE key
    expect(contacts[0]).toMatchObject({
      NAME: 'Имя1',
      LAST_NAME: 'Фамилия',
      SECOND_NAME: null,
      EMAIL: [expect.objectContaining({ VALUE: 'p1@example.ru', TYPE_ID: 'EMAIL' })],
    });
    const byId = await ok<unknown[]>(hook, 'crm.contact.list', {
      filter: { '@ID': seeded.companies[1]!.contactIds },
      select: ['ID'],
    });
    expect(byId).toEqual([{ ID: String(seeded.companies[1]!.contactIds[0]) }]);
  });
});

describe('DATE_MODIFY and MODIFY_BY_ID', () => {
  const audit = async (id: number) =>
    ok<Array<Record<string, string>>>(hook, 'crm.contact.list', {
      filter: { '@ID': [id] },
      select: ['ID', 'NAME', 'DATE_MODIFY', 'MODIFY_BY_ID'],
    }).then((r) => r[0]!);

  it("a webhook update stamps the webhook user; a person's edit stamps the person, later", async () => {
    const id = seeded.companies[5]!.contactIds[0]!;
    const before = await audit(id);
    expect(before.MODIFY_BY_ID).toBe('7');
    expect(Date.parse(before.DATE_MODIFY!)).toBeLessThan(Date.now() - 86_400_000); // seeded in the past

    await ok(hook, 'crm.contact.update', { id, fields: { POST: 'Директор' } });
    const written = await audit(id);
    expect(written.MODIFY_BY_ID).toBe('1');
    expect(Date.parse(written.DATE_MODIFY!)).toBeGreaterThan(Date.parse(before.DATE_MODIFY!));

    srv.portal.editAsPerson('contact', id, { NAME: 'Иван', EMAIL: [{ VALUE: 'ivan@example.ru' }] });
    const edited = await audit(id);
    expect(edited).toMatchObject({ NAME: 'Иван', MODIFY_BY_ID: '7' });
    expect(Date.parse(edited.DATE_MODIFY!)).toBeGreaterThan(Date.parse(written.DATE_MODIFY!)); // even within one second
    const emails = (srv.portal.store.get('contact', id)?.multi.EMAIL ?? []).map((r) => r.VALUE);
    expect(emails).toEqual([`p6@example.ru`, 'ivan@example.ru']); // a person's added value, the old one kept

    srv.portal.editAsPerson('contact', id, { COMMENTS: 'x' }, '12');
    expect((await audit(id)).MODIFY_BY_ID).toBe('12');
    expect(() => srv.portal.editAsPerson('company', 999_999, { TITLE: 'x' })).toThrow(/no company with ID 999999/);
  });

  it("a person's edit of a requisite is seen the same way", async () => {
    const rq = seeded.companies[7]!.requisiteIds[0]!;
    srv.portal.editAsPerson('requisite', rq, { RQ_KPP: '770201001' });
    const [r] = await ok<Array<Record<string, string>>>(hook, 'crm.requisite.list', {
      filter: { ID: rq },
      select: ['ID', 'RQ_KPP', 'MODIFY_BY_ID', 'DATE_MODIFY'],
    });
    expect(r).toMatchObject({ RQ_KPP: '770201001', MODIFY_BY_ID: '7', DATE_MODIFY: expect.stringMatching(/^\d{4}-/) });
  });
});
