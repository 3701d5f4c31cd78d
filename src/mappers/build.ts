import {
  cleanIdentifier,
  innKind,
  validateAccount,
  validateBik,
  validateCorrAccount,
  validateInn,
  validateKpp,
  validateOgrn,
  validateOgrnip,
} from '../identifiers/index.js';
import type { BankAccount, Phone, Requisite } from '../model/canonical.js';
import { type Outcome, accept, reject } from '../model/outcome.js';
import type { CleaningWarning } from '../model/reject-reasons.js';
import { cleanOptional } from '../normalize/text.js';
import { parseEmails } from '../normalize/email.js';
import { parsePhones } from '../normalize/phone.js';

/**
 * Store-independent pieces of a mapper: each takes raw (already decoded) values and appends
 * warnings for what it had to drop. A reject happens only for the INN: identity depends on it.
 */
export type Warnings = CleaningWarning[];

export interface InnResult {
  inn: string;
  kind: 'ORG' | 'IE';
}

/** MISSING_INN for null/blank; INVALID_INN (with the reason) otherwise; spacing is cleaned. */
export function checkInn(raw: string | null | undefined, sourceId: string): Outcome<InnResult> {
  const inn = cleanIdentifier(raw);
  if (inn === '') return reject('MISSING_INN', 'no INN', sourceId);
  const r = validateInn(inn);
  const kind = innKind(inn);
  if (!r.valid || !kind) return reject('INVALID_INN', `INN ${JSON.stringify(raw)}: ${r.reason}`, sourceId);
  return accept({ inn, kind });
}

/** KPP (ORG only) and OGRN/OGRNIP, each dropped with a warning when invalid. */
export function buildRequisite(
  base: InnResult,
  raw: { kpp?: string | null; ogrn?: string | null; ogrnip?: string | null; name?: string; fullName?: string },
  warnings: Warnings,
): Requisite {
  const req: Requisite = { inn: base.inn };
  const kpp = cleanIdentifier(raw.kpp);
  if (kpp !== '') {
    // An entrepreneur has no KPP; one given is a data error, not a requisite.
    if (base.kind === 'ORG' && validateKpp(kpp).valid) req.kpp = kpp;
    else warnings.push('KPP_INVALID');
  }
  // Either column may hold either number: each goes where its length and checksum say.
  registrationNumber(req, base.kind, cleanIdentifier(raw.ogrn), warnings);
  registrationNumber(req, base.kind, cleanIdentifier(raw.ogrnip), warnings);
  if (raw.name) req.name = raw.name;
  if (raw.fullName) req.fullName = raw.fullName;
  return req;
}

/** An OGRN (ORG, 13 digits) or OGRNIP (IE, 15 digits) into the requisite, or OGRN_INVALID. */
function registrationNumber(req: Requisite, kind: InnResult['kind'], value: string, warnings: Warnings): void {
  if (value === '') return;
  if (kind === 'ORG' && value.length === 13 && validateOgrn(value).valid) req.ogrn = value;
  else if (kind === 'IE' && value.length === 15 && validateOgrnip(value).valid) req.ogrnip = value;
  else warnings.push('OGRN_INVALID');
}

export interface RawBank {
  bik?: string | null;
  account?: string | null;
  corrAccount?: string | null;
  bankName?: string | null;
}

/** A bank account needs a valid BIK and a settlement account whose key matches it. */
export function buildBankAccount(raw: RawBank, warnings: Warnings): BankAccount | undefined {
  const bik = cleanIdentifier(raw.bik);
  const account = cleanIdentifier(raw.account);
  const corr = cleanIdentifier(raw.corrAccount);
  if (bik === '' && account === '' && corr === '') return undefined;
  if (!validateBik(bik).valid) {
    warnings.push('BIK_INVALID');
    return undefined;
  }
  if (!validateAccount(account, bik).valid) {
    warnings.push('ACCOUNT_INVALID');
    return undefined;
  }
  const out: BankAccount = { bik, account };
  if (corr !== '') {
    if (validateCorrAccount(corr, bik).valid) out.corrAccount = corr;
    else warnings.push('ACCOUNT_INVALID');
  }
  const bankName = cleanOptional(raw.bankName);
  if (bankName) out.bankName = bankName;
  return out;
}

export function buildPhones(raw: string | readonly string[] | null | undefined, warnings: Warnings): Phone[] {
  const { phones, unparseable } = parsePhones(raw);
  for (let i = 0; i < unparseable.length; i++) warnings.push('PHONE_UNPARSEABLE');
  return phones;
}

export function buildEmails(raw: string | readonly string[] | null | undefined, warnings: Warnings): string[] {
  const { emails, invalid } = parseEmails(raw);
  for (let i = 0; i < invalid.length; i++) warnings.push('EMAIL_INVALID');
  return emails;
}

/** ISO 8601 from a driver Date or an ISO-ish string; undefined when it is not a real time. */
export function toIso(value: Date | string | null | undefined): string | undefined {
  if (value == null) return undefined;
  const d =
    value instanceof Date
      ? value
      : new Date(value.includes('T') || value.includes('Z') ? value : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
