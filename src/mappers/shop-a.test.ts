import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { Company, Contact } from '../model/canonical.js';
import { type ShopACompanyRow, type ShopAContactRow, mapShopACompany, mapShopAContact } from './shop-a.js';

// Fixtures as the replica stores them: windows-1251 bytes, encoded here with iconv-lite.
const cp = (s: string) => iconv.encode(s, 'win1251');
const updated = new Date('2023-10-01T12:00:00.000Z');

function companyRow(over: Partial<ShopACompanyRow> = {}): ShopACompanyRow {
  return {
    id: 42,
    name: cp('ООО  "Ромашка" '),
    inn: cp('77 07-083 893'),
    kpp: cp('773601001'),
    ogrn: cp('1027700132195'),
    address: cp('117997, г. Москва,\u00A0ул. Вавилова, д. 19'),
    phone: cp('+7 (495) 500-55-50, 8 800 555 55 50 доб. 123'),
    email: cp('Info@Romashka.ru '),
    bank_bik: cp('044525225'),
    bank_account: cp('40702810938000000001'),
    bank_corr_account: cp('30101810400000000225'),
    bank_name: cp('ПАО СБЕРБАНК'),
    status: 'active',
    created_at: updated,
    updated_at: updated,
    ...over,
  };
}

describe('mapShopACompany', () => {
  it('maps a dirty windows-1251 row to a canonical company', () => {
    const r = mapShopACompany(companyRow());
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'company') throw new Error('expected a company');
    const c = r.value.company;
    expect(Company.parse(c)).toBeTruthy();
    expect(r.warnings).toEqual([]);
    expect(c).toMatchObject({
      source: 'shop-a',
      sourceId: '42',
      changedAt: '2023-10-01T12:00:00.000Z',
      kind: 'ORG',
      name: 'Ромашка',
      fullName: 'ООО "Ромашка"',
      legalForm: 'OOO',
      blocked: false,
      address: '117997, г. Москва, ул. Вавилова, д. 19',
      emails: ['info@romashka.ru'],
      requisite: { inn: '7707083893', kpp: '773601001', ogrn: '1027700132195' },
      bankAccounts: [
        {
          bik: '044525225',
          account: '40702810938000000001',
          corrAccount: '30101810400000000225',
          bankName: 'ПАО СБЕРБАНК',
        },
      ],
    });
    expect(c.phones).toEqual([
      { e164: '+74955005550', type: 'FIXED_LINE' },
      { e164: '+78005555550', ext: '123', type: 'TOLL_FREE' },
    ]);
  });

  it('accepts plain strings too (a connection that decodes cp1251 itself)', () => {
    const r = mapShopACompany(
      companyRow({ name: 'ИП Петров П.П.', inn: '500100732259', kpp: null, ogrn: '304500116000061' }),
    );
    expect(r.ok && r.value.kind === 'company' && r.value.company).toMatchObject({
      kind: 'IE',
      name: 'Петров П.П.',
      legalForm: 'IP',
      requisite: { inn: '500100732259', ogrnip: '304500116000061' },
    });
  });

  it('deleted → a delete change; blocked → blocked company', () => {
    expect(mapShopACompany(companyRow({ status: 'deleted', inn: null }))).toEqual({
      ok: true,
      warnings: [],
      value: {
        kind: 'delete',
        entity: 'company',
        source: 'shop-a',
        sourceId: '42',
        changedAt: '2023-10-01T12:00:00.000Z',
      },
    });
    const b = mapShopACompany(companyRow({ status: 'blocked' }));
    expect(b.ok && b.value.kind === 'company' && b.value.company.blocked).toBe(true);
  });

  it.each([
    [{ inn: null }, 'MISSING_INN'],
    [{ inn: cp('   ') }, 'MISSING_INN'],
    [{ inn: cp('7707083894') }, 'INVALID_INN'],
    [{ inn: cp('77070838') }, 'INVALID_INN'],
    [{ name: Buffer.concat([cp('Ромашка '), Buffer.from([0x98])]) }, 'BAD_ENCODING'],
    [{ name: Buffer.from('ООО Ромашка', 'utf8') }, 'BAD_ENCODING'],
    [{ name: iconv.decode(Buffer.from('ООО Ромашка', 'utf8'), 'win1251') }, 'BAD_ENCODING'],
    [{ status: 'archived' }, 'MALFORMED_RECORD'],
    [{ name: cp('  ') }, 'MALFORMED_RECORD'],
    [{ updated_at: 'not a date' }, 'MALFORMED_RECORD'],
  ] as Array<[Partial<ShopACompanyRow>, string]>)('%j → reject %s', (over, reason) => {
    const r = mapShopACompany(companyRow(over));
    expect(r).toMatchObject({ ok: false, reason, sourceId: '42' });
  });

  it('drops invalid KPP / OGRN / BIK / account / phone / e-mail with warnings, never rejects', () => {
    const r = mapShopACompany(
      companyRow({
        kpp: cp('77360100'),
        ogrn: cp('1027700132196'),
        bank_bik: cp('04452522'),
        phone: cp('123'),
        email: cp('bad@'),
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'company') return;
    expect(r.warnings.sort()).toEqual([
      'BIK_INVALID',
      'EMAIL_INVALID',
      'KPP_INVALID',
      'OGRN_INVALID',
      'PHONE_UNPARSEABLE',
    ]);
    expect(r.value.company.requisite).toEqual({ inn: '7707083893', name: 'ООО "Ромашка"' });
    expect(r.value.company.bankAccounts).toEqual([]);
  });

  it('a wrong account key drops the bank account; a wrong corr account drops only that', () => {
    const a = mapShopACompany(companyRow({ bank_account: cp('40702810938000000002') }));
    expect(a.ok && a.value.kind === 'company' && a.value.company.bankAccounts).toEqual([]);
    expect(a.ok && a.warnings).toEqual(['ACCOUNT_INVALID']);
    const c = mapShopACompany(companyRow({ bank_corr_account: cp('30101810400000000226') }));
    expect(c.ok && c.value.kind === 'company' && c.value.company.bankAccounts[0]?.corrAccount).toBeUndefined();
  });
});

function contactRow(over: Partial<ShopAContactRow> = {}): ShopAContactRow {
  return {
    id: 7,
    company_id: 42,
    full_name: cp('иванов и.и.'),
    position: cp(' Менеджер '),
    phone: cp('8-916-123-45-67'),
    email: null,
    updated_at: '2023-10-01 12:00:00',
    ...over,
  };
}

describe('mapShopAContact', () => {
  it('a row the binlog saw deleted (status deleted) → a delete change, even without contact data', () => {
    expect(mapShopAContact(contactRow({ status: 'deleted', full_name: null, phone: null, email: null }))).toEqual({
      ok: true,
      warnings: [],
      value: {
        kind: 'delete',
        entity: 'contact',
        source: 'shop-a',
        sourceId: 'contact:7',
        changedAt: '2023-10-01T12:00:00.000Z',
      },
    });
  });

  it('maps a windows-1251 contact row and links it to its company', () => {
    const r = mapShopAContact(contactRow());
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'contact') throw new Error('expected a contact');
    expect(Contact.parse(r.value.contact)).toBeTruthy();
    expect(r.value.contact).toEqual({
      source: 'shop-a',
      sourceId: 'contact:7',
      changedAt: '2023-10-01T12:00:00.000Z',
      company: { source: 'shop-a', sourceId: '42' },
      lastName: 'Иванов',
      firstName: 'И.',
      middleName: 'И.',
      position: 'Менеджер',
      phones: [{ e164: '+79161234567', type: 'MOBILE' }],
      emails: [],
    });
  });
  it('a contact without company has company null', () => {
    const r = mapShopAContact(contactRow({ company_id: null }));
    expect(r.ok && r.value.kind === 'contact' && r.value.contact.company).toBeNull();
  });
  it('no name, phone or e-mail → NO_CONTACT_DATA', () => {
    expect(mapShopAContact(contactRow({ full_name: null, phone: cp('нет'), email: null }))).toMatchObject({
      ok: false,
      reason: 'NO_CONTACT_DATA',
      sourceId: 'contact:7',
    });
  });
  it('only an e-mail is enough', () => {
    expect(mapShopAContact(contactRow({ full_name: null, phone: null, email: cp('a@b.ru') })).ok).toBe(true);
  });
});
