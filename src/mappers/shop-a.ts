import type { CanonicalChange, Company, Contact } from '../model/canonical.js';
import { type Outcome, accept, reject } from '../model/outcome.js';
import { decodeWin1251, isMojibake } from '../normalize/encoding.js';
import { extractLegalForm } from '../normalize/legal-form.js';
import { parsePersonName } from '../normalize/person-name.js';
import { cleanOptional } from '../normalize/text.js';
import { type Warnings, buildBankAccount, buildEmails, buildPhones, buildRequisite, checkInn, toIso } from './build.js';
import { SHOP_A, shopACompanyId, shopAContactId } from './source-ids.js';

/**
 * Shop A (MySQL, cp1251) rows → canonical changes. Rows come as mysql2 returns them: numbers,
 * strings, Date for DATETIME, null — and Buffers for text when the connection reads the cp1251
 * columns as binary, which lets us decode them here and reject undecodable ones.
 */
export type Text = string | Uint8Array | null | undefined;

export interface ShopACompanyRow {
  id: number;
  name: Text;
  inn: Text;
  kpp: Text;
  ogrn: Text;
  address: Text;
  phone: Text;
  email: Text;
  bank_bik: Text;
  bank_account: Text;
  bank_corr_account: Text;
  bank_name: Text;
  status: Text;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface ShopAContactRow {
  id: number;
  company_id: number | null;
  full_name: Text;
  position: Text;
  phone: Text;
  email: Text;
  updated_at: Date | string;
  /**
   * Not a column: contacts have no soft delete, so only the binlog source sets `'deleted'`, for
   * a row removed with DELETE (the same convention as companies' status column).
   */
  status?: Text;
}

class EncodingError extends Error {}

/** Decode every text field of a row; the first undecodable one rejects the record. */
function decodeRow<R extends object>(row: R): { [K in keyof R]: R[K] extends Text ? string | undefined : R[K] } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array) {
      const d = decodeWin1251(v);
      if (!d.ok) throw new EncodingError(`${k}: ${d.detail}`);
      out[k] = d.value;
    } else if (typeof v === 'string') {
      if (isMojibake(v)) throw new EncodingError(`${k}: text is UTF-8 read as windows-1251 (mojibake)`);
      out[k] = v;
    } else {
      out[k] = v ?? undefined;
    }
  }
  return out as never;
}

function decoded<R extends object, T>(
  row: R,
  sourceId: string,
  f: (r: ReturnType<typeof decodeRow<R>>) => Outcome<T>,
): Outcome<T> {
  try {
    return f(decodeRow(row));
  } catch (e) {
    if (e instanceof EncodingError) return reject('BAD_ENCODING', e.message, sourceId);
    throw e;
  }
}

export function mapShopACompany(row: ShopACompanyRow): Outcome<CanonicalChange> {
  const sourceId = shopACompanyId(row.id);
  return decoded(row, sourceId, (r) => {
    const changedAt = toIso(r.updated_at);
    if (!changedAt) return reject('MALFORMED_RECORD', `updated_at: not a time (${String(row.updated_at)})`, sourceId);
    const status = r.status ?? 'active';
    if (status === 'deleted') return accept({ kind: 'delete', entity: 'company', source: SHOP_A, sourceId, changedAt });
    if (status !== 'active' && status !== 'blocked')
      return reject('MALFORMED_RECORD', `status: unknown value ${JSON.stringify(status)}`, sourceId);

    const inn = checkInn(r.inn, sourceId);
    if (!inn.ok) return inn;
    const raw = cleanOptional(r.name);
    if (!raw) return reject('MALFORMED_RECORD', 'name: empty', sourceId);
    const { legalForm, name } = extractLegalForm(raw);

    const warnings: Warnings = [];
    const bank = buildBankAccount(
      { bik: r.bank_bik, account: r.bank_account, corrAccount: r.bank_corr_account, bankName: r.bank_name },
      warnings,
    );
    const company: Company = {
      source: SHOP_A,
      sourceId,
      changedAt,
      kind: inn.value.kind,
      name,
      fullName: raw,
      phones: buildPhones(r.phone, warnings),
      emails: buildEmails(r.email, warnings),
      // Shop A has one `ogrn` column: a 15-digit value there is an entrepreneur's OGRNIP.
      requisite: buildRequisite(inn.value, { kpp: r.kpp, ogrn: r.ogrn, name: raw }, warnings),
      bankAccounts: bank ? [bank] : [],
      blocked: status === 'blocked',
    };
    if (legalForm) company.legalForm = legalForm;
    const address = cleanOptional(r.address);
    if (address) company.address = address;
    return accept({ kind: 'company', company, contacts: [] }, warnings);
  });
}

export function mapShopAContact(row: ShopAContactRow): Outcome<CanonicalChange> {
  const sourceId = shopAContactId(row.id);
  return decoded(row, sourceId, (r) => {
    const changedAt = toIso(r.updated_at);
    if (!changedAt) return reject('MALFORMED_RECORD', `updated_at: not a time (${String(row.updated_at)})`, sourceId);
    if (r.status === 'deleted')
      return accept({ kind: 'delete', entity: 'contact', source: SHOP_A, sourceId, changedAt });
    const warnings: Warnings = [];
    const contact: Contact = {
      source: SHOP_A,
      sourceId,
      changedAt,
      company: r.company_id == null ? null : { source: SHOP_A, sourceId: shopACompanyId(r.company_id) },
      ...parsePersonName(r.full_name),
      phones: buildPhones(r.phone, warnings),
      emails: buildEmails(r.email, warnings),
    };
    const position = cleanOptional(r.position);
    if (position) contact.position = position;
    if (!hasContactData(contact)) return reject('NO_CONTACT_DATA', 'no name, phone or e-mail', sourceId);
    return accept({ kind: 'contact', contact }, warnings);
  });
}

export function hasContactData(c: Contact): boolean {
  return Boolean(c.lastName || c.firstName || c.middleName || c.phones.length > 0 || c.emails.length > 0);
}
