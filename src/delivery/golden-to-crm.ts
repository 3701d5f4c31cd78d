import type { GoldenCompany, GoldenContact } from '../connectors/bitrix24/types.js';
import type { DeliveryMemo } from '../model/crm-ids.js';
import { contentHash } from '../resolve/content-hash.js';
import type { GoldenCompanyState, GoldenContactState } from '../state/records.js';

const optional = <K extends string, V>(key: K, v: V | undefined | null) =>
  (v === undefined || v === null || v === '' ? {} : { [key]: v }) as Partial<Record<K, V>>;

function contactInput(c: GoldenContactState): GoldenContact {
  const r = c.record!;
  return {
    goldenId: c.id,
    ...optional('lastName', r.lastName),
    ...optional('firstName', r.firstName),
    ...optional('middleName', r.middleName),
    ...optional('position', r.position),
    phones: r.phones,
    emails: r.emails,
    ...(c.mergedFrom.length
      ? {
          mergedFrom: c.mergedFrom.map((m) => ({
            goldenId: m.goldenId,
            ...(m.crmId ? { crmId: Number(m.crmId) } : {}),
          })),
        }
      : {}),
    ...(c.delivery === 'synced' ? { current: true } : {}),
  };
}

/**
 * The loader's view of one golden company and its live contacts. Its hash covers the company's and
 * the contacts' own hashes, so "nothing changed in the whole aggregate" is one comparison.
 */
export function toLoaderInput(
  company: GoldenCompanyState,
  contacts: readonly GoldenContactState[],
  memo: DeliveryMemo | undefined,
): GoldenCompany {
  const r = company.record!;
  const live = contacts.filter((c) => c.status === 'active' && c.record).sort((a, b) => a.seq - b.seq);
  const hash = contentHash({ company: company.hash, contacts: live.map((c) => c.hash) });
  return {
    goldenId: company.inn,
    hash,
    kind: r.kind,
    name: r.name,
    ...optional('fullName', r.fullName),
    ...optional('address', r.address),
    phones: r.phones,
    emails: r.emails,
    requisites: (r.requisites.length ? r.requisites : [{ kpp: '' }]).map((q) => ({
      inn: r.inn,
      ...optional('kpp', q.kpp),
      ...optional('ogrn', q.ogrn ?? r.ogrn),
      ...optional('ogrnip', q.ogrnip ?? r.ogrnip),
      name: q.name ?? r.name,
      ...optional('fullName', q.fullName ?? r.fullName),
    })),
    bankAccounts: r.bankAccounts.map((b) => ({
      bik: b.bik,
      account: b.account,
      ...optional('corrAccount', b.corrAccount),
      ...optional('bankName', b.bankName),
      ...optional('kpp', b.kpp),
    })),
    contacts: live.map(contactInput),
    ...(company.delivery === 'synced' ? { current: true } : {}),
    // Ids without a confirmed hash (a refused or unsettled load) still go back: updates, not twins.
    ...(memo?.ids ? { synced: { hash: memo.hash ?? '', ids: memo.ids } } : {}),
    ...(memo?.createAttempted ? { createAttempted: true } : {}),
  };
}
