import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { Company, Contact } from '../model/canonical.js';
import { UNDECODABLE_MARK, decodeWin1251 } from '../normalize/encoding.js';
import { displayCase, isKnownFirstName, parsePersonName } from '../normalize/person-name.js';
import { cleanOptional } from '../normalize/text.js';
import { contactName, decodeShopBEvent, mapPartner, mapShopBEvent } from './shop-b.js';

// DESIGN.md §3 sample partner.
const partner = {
  partnerId: '0001000123',
  kind: 'ORG',
  name: 'ООО "Ромашка"',
  fullName: 'Общество с ограниченной ответственностью "Ромашка"',
  taxNumbers: [
    { type: 'INN', value: '7707083893' },
    { type: 'KPP', value: '773601001' },
    { type: 'OGRN', value: '1027700132195' },
  ],
  address: '117997, г. Москва, ул. Вавилова, д. 19',
  phones: ['+7 (495) 500-55-50', '8 800 555 55 50 доб. 123'],
  emails: ['Info@Romashka.ru '],
  bankAccounts: [
    {
      bik: '044525225',
      account: '40702810938000000001',
      corrAccount: '30101810400000000225',
      bankName: 'ПАО СБЕРБАНК',
    },
  ],
  blocked: false,
  changedAt: '2023-10-01T12:00:00Z',
  contacts: [
    {
      contactId: 'C-1',
      lastName: 'Иванов',
      firstName: 'Иван',
      middleName: 'Иванович',
      position: 'Менеджер по закупкам',
      phones: ['8-916-123-45-67'],
      emails: [],
    },
  ],
};
const upsert = { eventId: '9f0c', type: 'PARTNER_UPSERT', occurredAt: '2023-10-01T12:00:00.000Z', partner };

describe('decodeShopBEvent', () => {
  it('decodes a UTF-8 Kafka value (bytes or string)', () => {
    const bytes = Buffer.from(JSON.stringify(upsert), 'utf8');
    expect(decodeShopBEvent(bytes)).toMatchObject({ ok: true, value: { type: 'PARTNER_UPSERT', eventId: '9f0c' } });
    expect(decodeShopBEvent(JSON.stringify(upsert)).ok).toBe(true);
  });
  it('a delete event needs only partnerId', () => {
    const r = decodeShopBEvent(
      JSON.stringify({
        eventId: 'e2',
        type: 'PARTNER_DELETE',
        occurredAt: '2023-10-02T00:00:00Z',
        partner: { partnerId: '0001000123' },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(mapShopBEvent(r.value)).toEqual({
      ok: true,
      warnings: [],
      value: {
        kind: 'delete',
        entity: 'company',
        source: 'shop-b',
        sourceId: '0001000123',
        changedAt: '2023-10-02T00:00:00Z',
      },
    });
  });
  it.each([
    [null, 'MALFORMED_RECORD', /empty/],
    ['{not json', 'MALFORMED_RECORD', /not JSON/],
    [JSON.stringify({ ...upsert, type: 'PARTNER_MERGE' }), 'MALFORMED_RECORD', /type/],
    [JSON.stringify({ ...upsert, occurredAt: 'yesterday' }), 'MALFORMED_RECORD', /occurredAt/],
    [
      JSON.stringify({ ...upsert, partner: { ...partner, taxNumbers: [{ type: 'INN', value: true }] } }),
      'MALFORMED_RECORD',
      /partner\.taxNumbers\[0\]\.value/,
    ],
    [JSON.stringify({ ...upsert, partner: { ...partner, kind: 'PERSON' } }), 'MALFORMED_RECORD', /partner\.kind/],
    [Buffer.from([0x7b, 0xff, 0x7d]), 'BAD_ENCODING', /UTF-8/],
  ] as const)('%j → %s', (value, reason, detail) => {
    const r = decodeShopBEvent(value as never);
    expect(r).toMatchObject({ ok: false, reason });
    expect(!r.ok && r.detail).toMatch(detail);
  });
});

describe('mapPartner', () => {
  it('maps the sample partner to a company with its contacts', () => {
    const r = mapPartner(partner);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'company') throw new Error('expected a company');
    expect(r.warnings).toEqual([]);
    const { company, contacts } = r.value;
    expect(Company.parse(company)).toBeTruthy();
    expect(company).toMatchObject({
      source: 'shop-b',
      sourceId: '0001000123',
      kind: 'ORG',
      name: 'Ромашка',
      legalForm: 'OOO',
      fullName: 'Общество с ограниченной ответственностью "Ромашка"',
      emails: ['info@romashka.ru'],
      requisite: { inn: '7707083893', kpp: '773601001', ogrn: '1027700132195', name: 'ООО "Ромашка"' },
    });
    expect(company.bankAccounts).toHaveLength(1);
    expect(contacts).toEqual([
      {
        source: 'shop-b',
        sourceId: 'contact:0001000123:C-1',
        changedAt: '2023-10-01T12:00:00Z',
        company: { source: 'shop-b', sourceId: '0001000123' },
        lastName: 'Иванов',
        firstName: 'Иван',
        middleName: 'Иванович',
        position: 'Менеджер по закупкам',
        phones: [{ e164: '+79161234567', type: 'MOBILE' }],
        emails: [],
      },
    ]);
    expect(contacts.every((c) => Contact.parse(c))).toBe(true);
  });

  it('IE uses the 12-digit INN and OGRNIP', () => {
    const ie = {
      ...partner,
      kind: 'IE',
      name: 'ИП Петров П.П.',
      fullName: null,
      taxNumbers: [
        { type: 'INN', value: '5001 0073 2259' },
        { type: 'OGRNIP', value: '304500116000061' },
      ],
    };
    const r = mapPartner(ie);
    expect(r.ok && r.value.kind === 'company' && r.value.company).toMatchObject({
      kind: 'IE',
      legalForm: 'IP',
      requisite: { inn: '500100732259', ogrnip: '304500116000061' },
    });
  });

  it('kind and INN length must agree', () => {
    expect(mapPartner({ ...partner, kind: 'IE' })).toMatchObject({
      ok: false,
      reason: 'INVALID_INN',
      detail: expect.stringMatching(/12-digit/),
    });
  });

  it('missing / invalid INN', () => {
    expect(mapPartner({ ...partner, taxNumbers: [] })).toMatchObject({
      ok: false,
      reason: 'MISSING_INN',
      sourceId: '0001000123',
    });
    expect(mapPartner({ ...partner, taxNumbers: [{ type: 'INN', value: '7707083890' }] })).toMatchObject({
      ok: false,
      reason: 'INVALID_INN',
    });
  });

  it('contacts without any data are dropped with a warning', () => {
    const r = mapPartner({
      ...partner,
      contacts: [...partner.contacts, { contactId: 'C-2', phones: ['000'], emails: [] }],
    });
    expect(r.ok && r.value.kind === 'company' && r.value.contacts).toHaveLength(1);
    expect(r.ok && r.warnings.sort()).toEqual(['CONTACT_NO_DATA', 'PHONE_UNPARSEABLE']);
  });

  it('a dump entry decoded from windows-1251 maps; one holding byte 0x98 is BAD_ENCODING', () => {
    const bytes = iconv.encode(JSON.stringify(partner), 'win1251');
    const decoded = decodeWin1251(bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(mapPartner(JSON.parse(decoded.value)).ok).toBe(true);
    const marked = { ...partner, address: `г. Москва ${UNDECODABLE_MARK}` };
    expect(mapPartner(marked)).toMatchObject({
      ok: false,
      reason: 'BAD_ENCODING',
      detail: expect.stringMatching(/^address/),
    });
  });

  it('BAD_ENCODING names the first marked string, in key order, by its path', () => {
    const mark = (s: string) => `${s}${UNDECODABLE_MARK}`;
    const c0 = partner.contacts[0]!;
    const cases: Array<[object, string]> = [
      [{ ...partner, contacts: [c0, { ...c0, contactId: 'C-2', phones: ['1', mark('2')] }] }, 'contacts[1].phones[1]'],
      [
        {
          ...partner,
          bankAccounts: [{ ...partner.bankAccounts[0]!, bankName: mark('ПАО') }],
          contacts: [{ ...c0, lastName: mark('И') }],
        },
        'bankAccounts[0].bankName',
      ],
      [{ ...partner, name: mark('ООО'), address: mark('г.') }, 'name'],
      [{ ...partner, taxNumbers: [partner.taxNumbers[0]!, { type: mark('X'), value: '1' }] }, 'taxNumbers[1].type'],
    ];
    for (const [p, path] of cases) {
      expect(mapPartner(p)).toMatchObject({
        ok: false,
        reason: 'BAD_ENCODING',
        detail: `${path}: holds byte 0x98, which has no character in windows-1251`,
      });
    }
  });
});

describe('contact names', () => {
  it.each([
    [['Лукина Лидия Семеновна', null, null], { lastName: 'Лукина', firstName: 'Лидия', middleName: 'Семеновна' }],
    [[null, 'Лидия Семеновна Лукина', null], { lastName: 'Лукина', firstName: 'Лидия', middleName: 'Семеновна' }],
    [['ЛУКИНА Л. С.', '', null], { lastName: 'Лукина', firstName: 'Л.', middleName: 'С.' }],
    [['Лукина', 'Лидия', null], { lastName: 'Лукина', firstName: 'Лидия' }],
    [['МАМЕДОВ', 'Ахмед', 'Рза оглы'], { lastName: 'Мамедов', firstName: 'Ахмед', middleName: 'Рза оглы' }],
    [['Лукина', null, null], { lastName: 'Лукина' }],
    [['ЛИДИЯ', null, null], { firstName: 'Лидия' }],
    [['Lidiya', '', null], { firstName: 'Lidiya' }],
  ] as const)('%j', ([last, first, middle], want) => {
    expect(contactName(last, first, middle)).toEqual(want);
  });

  it('is the formulation it replaced (word count by join and split, casing by closure) on random parts', () => {
    const before = (last: string | null, first: string | null, middle: string | null) => {
      const [l, f, m] = [cleanOptional(last), cleanOptional(first), cleanOptional(middle)];
      const filled = [l, f, m].filter((t): t is string => t !== undefined);
      if ((!l || !f) && filled.join(' ').split(' ').length >= 2) return parsePersonName(filled.join(' '));
      if (l && !f && !m && !l.includes(' ') && isKnownFirstName(l)) return { firstName: displayCase(l) };
      const cased = (t: string | undefined) => (t ? t.split(' ').map(displayCase).join(' ') : undefined);
      const out: Record<string, string> = {};
      if (l) out.lastName = cased(l)!;
      if (f) out.firstName = cased(f)!;
      if (m) out.middleName = cased(m)!;
      return out;
    };
    const word = fc.constantFrom(
      'ЛИДИЯ',
      'лукина',
      'Семеновна',
      'Иван',
      'оглы',
      'Рза',
      'Л.',
      'С.',
      'Lidiya',
      'иванов-петров',
      "d'Artagnan",
      '',
    );
    const part = fc.oneof(
      fc.constant(null),
      fc
        .array(fc.tuple(word, fc.constantFrom(' ', '  ', '\u00A0', '\t', '')), { maxLength: 3 })
        .map((ws) => ws.map(([w, sp]) => w + sp).join('')),
    );
    fc.assert(
      fc.property(part, part, part, (l, f, m) => {
        expect(contactName(l, f, m)).toStrictEqual(before(l, f, m));
      }),
      { numRuns: 3000 },
    );
  });

  it('a partner whose contact holds the whole name in lastName gets the parts split', () => {
    const r = mapPartner({
      ...partner,
      contacts: [
        { contactId: 'C-9', lastName: 'Лукина Лидия Семеновна', firstName: null, phones: [], emails: ['l@x.ru'] },
      ],
    });
    expect(r.ok && r.value.kind === 'company' ? r.value.contacts[0] : undefined).toMatchObject({
      lastName: 'Лукина',
      firstName: 'Лидия',
      middleName: 'Семеновна',
    });
  });
});
