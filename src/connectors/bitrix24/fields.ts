import { encodeRows, type WantedRow } from './multifields.js';
import type { GoldenBankAccount, GoldenCompany, GoldenContact, GoldenRequisite, SentFields } from './types.js';

/**
 * Golden records → Bitrix24 fields. Companies and contacts carry ORIGINATOR_ID + ORIGIN_ID (the
 * external-system fields of crm.company/contact, main-entities-fields.md). ORIGIN_VERSION is not
 * sent: it would change with every contact of the company and turn unchanged companies into
 * updates. Requisites and bank details have no ORIGIN_ID (crm-requisite-add.md,
 * crm-requisite-bank-detail-add.md list XML_ID and ORIGINATOR_ID): they get ORIGINATOR_ID plus an
 * XML_ID derived from the golden id, which is what the look-up after a lost answer filters on.
 */
export const requisiteKey = (r: GoldenRequisite): string => r.kpp ?? '-';
export const bankKey = (b: GoldenBankAccount): string => `${b.bik}/${b.account}`;
export const requisiteXmlId = (goldenId: string, key: string): string => `${goldenId}/rq/${key}`;
export const bankXmlId = (goldenId: string, key: string): string => `${goldenId}/bd/${key}`;

const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));

export function companyFields(c: GoldenCompany, originator: string): Record<string, unknown> {
  return defined({
    TITLE: c.name,
    COMPANY_TYPE: 'CUSTOMER',
    ADDRESS: c.address,
    ORIGINATOR_ID: originator,
    ORIGIN_ID: c.goldenId,
  });
}

/** The RQ_* fields of the RU presets: organisation (INN, KPP, OGRN, names) or IE (INN, OGRNIP, name). */
export function requisiteFields(c: GoldenCompany, r: GoldenRequisite, originator: string): Record<string, unknown> {
  const own =
    c.kind === 'ORG'
      ? { RQ_KPP: r.kpp, RQ_OGRN: r.ogrn, RQ_COMPANY_NAME: r.name, RQ_COMPANY_FULL_NAME: r.fullName ?? c.fullName }
      : { RQ_OGRNIP: r.ogrnip, RQ_NAME: r.name };
  return defined({
    NAME: r.kpp ? `${r.name} (КПП ${r.kpp})` : r.name,
    RQ_INN: r.inn,
    ...own,
    XML_ID: requisiteXmlId(c.goldenId, requisiteKey(r)),
    ORIGINATOR_ID: originator,
  });
}

export function bankFields(goldenId: string, b: GoldenBankAccount, originator: string): Record<string, unknown> {
  return defined({
    NAME: b.bankName ?? `Счёт ${b.account}`,
    RQ_BIK: b.bik,
    RQ_ACC_NUM: b.account,
    RQ_COR_ACC_NUM: b.corrAccount,
    RQ_BANK_NAME: b.bankName,
    XML_ID: bankXmlId(goldenId, bankKey(b)),
    ORIGINATOR_ID: originator,
  });
}

export function contactFields(p: GoldenContact, originator: string): Record<string, unknown> {
  return defined({
    LAST_NAME: p.lastName,
    NAME: p.firstName,
    SECOND_NAME: p.middleName,
    POST: p.position,
    ORIGINATOR_ID: originator,
    ORIGIN_ID: p.goldenId,
  });
}

/** The requisite a bank account hangs on: same KPP, else the first one. */
export function requisiteFor(c: GoldenCompany, b: GoldenBankAccount): GoldenRequisite | undefined {
  return c.requisites.find((r) => b.kpp !== undefined && r.kpp === b.kpp) ?? c.requisites[0];
}

/** The record of a write kept in `CrmIds.sent`: scalar fields as strings, multifield rows encoded. */
export function sentFields(fields: Record<string, unknown>, rows?: readonly WantedRow[]): SentFields {
  const out: SentFields = {};
  for (const [k, v] of Object.entries(fields))
    if (v !== undefined && v !== null && typeof v !== 'object') out[k] = String(v);
  if (rows) {
    for (const type of ['PHONE', 'EMAIL'] as const) {
      const enc = encodeRows(rows, type);
      if (enc) out[type] = enc;
    }
  }
  return out;
}

/**
 * Scalar fields whose wanted value differs from what was last written; a field written before and
 * not wanted now is cleared (''). Multifields and `_`-prefixed bookkeeping keys are left out.
 */
export function changedScalars(sent: SentFields, want: SentFields): Record<string, string> {
  const out: Record<string, string> = {};
  const skip = (k: string) => k === 'PHONE' || k === 'EMAIL' || k.startsWith('_');
  for (const [k, v] of Object.entries(want)) if (!skip(k) && sent[k] !== v) out[k] = v;
  for (const k of Object.keys(sent)) if (!skip(k) && !(k in want)) out[k] = '';
  return out;
}

/** True when the multifield rows differ between two records. */
export const rowsChanged = (sent: SentFields, want: SentFields): boolean =>
  (sent.PHONE ?? '') !== (want.PHONE ?? '') || (sent.EMAIL ?? '') !== (want.EMAIL ?? '');
