import type { Phone } from '../model/index.js';
import type {
  CompanyContribution,
  ContactContribution,
  GoldenBankAccount,
  GoldenCompanyRecord,
  GoldenContactRecord,
  GoldenRequisite,
  ProvenanceEntry,
} from '../state/records.js';
import { foldEmail } from './fold.js';
import { phoneKey } from './match-keys.js';

/**
 * Survivorship: a golden record is rebuilt from the latest version of every contributing
 * source record, never patched in place, so any arrival order yields the same record.
 * Per field the newest non-empty value wins (by source change time; ties by source, then
 * sourceId); phones, e-mails and bank accounts are united.
 */

interface Ref {
  source: string;
  sourceId: string;
  changedAt: string;
}

/** Newest first; equal times ordered by source then sourceId, so the order is total. */
export function byRecency<T>(items: readonly T[], ref: (t: T) => Ref): T[] {
  if (items.length === 1) return [items[0]!];
  return items
    .map((item) => {
      const r = ref(item);
      return { item, r, t: Date.parse(r.changedAt) };
    })
    .sort((a, b) => b.t - a.t || cmp(a.r.source, b.r.source) || cmp(a.r.sourceId, b.r.sourceId))
    .map((x) => x.item);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Records which source supplied which golden field, for provenance. */
class Suppliers<T> {
  readonly fields = new Map<T, Set<string>>();
  mark(item: T, field: string): void {
    let s = this.fields.get(item);
    if (!s) this.fields.set(item, (s = new Set()));
    s.add(field);
  }
  /** The newest non-empty value of `get` among `ordered`, marking its supplier. */
  pick<V>(ordered: readonly T[], field: string, get: (t: T) => V | undefined): V | undefined {
    for (const item of ordered) {
      const v = get(item);
      if (!isEmpty(v)) {
        this.mark(item, field);
        return v;
      }
    }
    return undefined;
  }
}

/** For the hot path: provenance is not stored, so who supplied what need not be tracked. */
class Untracked<T> extends Suppliers<T> {
  override mark(): void {}
}

/** Phones united by number+extension; the newest record's type wins; sorted for a stable hash. */
function unitePhones<T>(ordered: readonly T[], get: (t: T) => readonly Phone[], sup: Suppliers<T>): Phone[] {
  const out = new Map<string, Phone>();
  for (const item of ordered) {
    for (const p of get(item)) {
      const k = phoneKey(p);
      const seen = out.get(k);
      if (!seen) out.set(k, { ...p });
      else if (seen.type === undefined && p.type !== undefined) seen.type = p.type;
      sup.mark(item, 'phones');
    }
  }
  return [...out.entries()].sort(([a], [b]) => cmp(a, b)).map(([, p]) => p);
}

function uniteEmails<T>(ordered: readonly T[], get: (t: T) => readonly string[], sup: Suppliers<T>): string[] {
  const out = new Set<string>();
  for (const item of ordered) {
    for (const e of get(item)) {
      const f = foldEmail(e);
      if (f) {
        out.add(f);
        sup.mark(item, 'emails');
      }
    }
  }
  return [...out].sort();
}

function provenance<T>(
  ordered: readonly T[],
  sup: Suppliers<T>,
  ref: (t: T) => Ref & { position: string },
): ProvenanceEntry[] {
  return ordered.map((item) => {
    const r = ref(item);
    return {
      source: r.source,
      sourceId: r.sourceId,
      changedAt: r.changedAt,
      position: r.position,
      fields: [...(sup.fields.get(item) ?? [])].sort(),
    };
  });
}

const companyRef = (c: CompanyContribution) => ({
  source: c.company.source,
  sourceId: c.company.sourceId,
  changedAt: c.company.changedAt,
  position: c.position,
});

export function buildCompany(
  inn: string,
  contributions: readonly CompanyContribution[],
): { record: GoldenCompanyRecord; provenance: ProvenanceEntry[] } | null {
  if (contributions.length === 0) return null;
  const ordered = byRecency(contributions, (c) => c.company);
  const sup = new Suppliers<CompanyContribution>();
  return { record: companyRecord(inn, ordered, sup), provenance: provenance(ordered, sup, companyRef) };
}

/** The golden company alone (what resolution stores and hashes): `buildCompany` without provenance. */
export function buildCompanyRecord(
  inn: string,
  contributions: readonly CompanyContribution[],
): GoldenCompanyRecord | null {
  if (contributions.length === 0) return null;
  return companyRecord(
    inn,
    byRecency(contributions, (c) => c.company),
    new Untracked(),
  );
}

function companyRecord(
  inn: string,
  ordered: readonly CompanyContribution[],
  sup: Suppliers<CompanyContribution>,
): GoldenCompanyRecord {
  const newest = ordered[0]!;
  sup.mark(newest, 'kind');
  sup.mark(newest, 'blocked');

  // Each distinct KPP is a requisite; '' only when no source gave any KPP.
  const kpps = [...new Set(ordered.map((c) => c.company.requisite.kpp).filter((k): k is string => !isEmpty(k)))].sort();
  const ogrn = sup.pick(ordered, 'ogrn', (c) => c.company.requisite.ogrn);
  const ogrnip = sup.pick(ordered, 'ogrnip', (c) => c.company.requisite.ogrnip);
  const requisites: GoldenRequisite[] = (kpps.length ? kpps : ['']).map((kpp) => {
    const group = kpp ? ordered.filter((c) => c.company.requisite.kpp === kpp) : ordered;
    const req: GoldenRequisite = { kpp };
    const name = sup.pick(group, `requisites[${kpp}].name`, (c) => c.company.requisite.name ?? c.company.name);
    const fullName = sup.pick(
      group,
      `requisites[${kpp}].fullName`,
      (c) => c.company.requisite.fullName ?? c.company.fullName,
    );
    if (name !== undefined) req.name = name;
    if (fullName !== undefined) req.fullName = fullName;
    if (ogrn !== undefined) req.ogrn = ogrn;
    if (ogrnip !== undefined) req.ogrnip = ogrnip;
    return req;
  });

  // Bank accounts united by (BIK, account); their other fields by survivorship within the group.
  const groups = new Map<string, CompanyContribution[]>();
  for (const c of ordered) {
    for (const b of c.company.bankAccounts) {
      const k = `${b.bik}:${b.account}`;
      const g = groups.get(k) ?? [];
      if (!g.includes(c)) g.push(c);
      groups.set(k, g);
    }
  }
  const bankAccounts: GoldenBankAccount[] = [...groups.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([k, group]) => {
      const [bik, account] = k.split(':') as [string, string];
      const find = (c: CompanyContribution) =>
        c.company.bankAccounts.find((b) => b.bik === bik && b.account === account);
      const acc: GoldenBankAccount = { bik, account, kpp: group[0]!.company.requisite.kpp ?? '' };
      sup.mark(group[0]!, `bankAccounts[${k}]`);
      const corr = sup.pick(group, `bankAccounts[${k}].corrAccount`, (c) => find(c)?.corrAccount);
      const bankName = sup.pick(group, `bankAccounts[${k}].bankName`, (c) => find(c)?.bankName);
      if (corr !== undefined) acc.corrAccount = corr;
      if (bankName !== undefined) acc.bankName = bankName;
      return acc;
    });

  const record: GoldenCompanyRecord = {
    inn,
    kind: newest.company.kind,
    name: sup.pick(ordered, 'name', (c) => c.company.name) ?? '',
    blocked: newest.company.blocked,
    phones: unitePhones(ordered, (c) => c.company.phones, sup),
    emails: uniteEmails(ordered, (c) => c.company.emails, sup),
    requisites,
    bankAccounts,
  };
  const fullName = sup.pick(ordered, 'fullName', (c) => c.company.fullName);
  const legalForm = sup.pick(ordered, 'legalForm', (c) => c.company.legalForm);
  const address = sup.pick(ordered, 'address', (c) => c.company.address);
  if (fullName !== undefined) record.fullName = fullName;
  if (legalForm !== undefined) record.legalForm = legalForm;
  if (address !== undefined) record.address = address;
  if (ogrn !== undefined) record.ogrn = ogrn;
  if (ogrnip !== undefined) record.ogrnip = ogrnip;
  return record;
}

const isInitialOnly = (v: string | undefined) => v !== undefined && v.replace(/\./g, '').trim().length <= 1;

const contactRef = (c: ContactContribution) => ({
  source: c.contact.source,
  sourceId: c.contact.sourceId,
  changedAt: c.contact.changedAt,
  position: c.position,
});

export function buildContact(
  id: string,
  inn: string,
  contributions: readonly ContactContribution[],
): { record: GoldenContactRecord; provenance: ProvenanceEntry[] } | null {
  if (contributions.length === 0) return null;
  const ordered = byRecency(contributions, (c) => c.contact);
  const sup = new Suppliers<ContactContribution>();
  return { record: contactRecord(id, inn, ordered, sup), provenance: provenance(ordered, sup, contactRef) };
}

/** The golden contact alone: `buildContact` without provenance. */
export function buildContactRecord(
  id: string,
  inn: string,
  contributions: readonly ContactContribution[],
): GoldenContactRecord | null {
  if (contributions.length === 0) return null;
  return contactRecord(
    id,
    inn,
    byRecency(contributions, (c) => c.contact),
    new Untracked(),
  );
}

function contactRecord(
  id: string,
  inn: string,
  ordered: readonly ContactContribution[],
  sup: Suppliers<ContactContribution>,
): GoldenContactRecord {
  const record: GoldenContactRecord = {
    id,
    inn,
    phones: unitePhones(ordered, (c) => c.contact.phones, sup),
    emails: uniteEmails(ordered, (c) => c.contact.emails, sup),
  };
  for (const field of ['lastName', 'firstName', 'middleName', 'position'] as const) {
    // An initial ("Л.") gives way to a spelled-out name from an older record.
    const spelled =
      field === 'firstName' || field === 'middleName'
        ? sup.pick(ordered, field, (c) => (isInitialOnly(c.contact[field]) ? undefined : c.contact[field]))
        : undefined;
    const v = spelled ?? sup.pick(ordered, field, (c) => c.contact[field]);
    if (v !== undefined) record[field] = v;
  }
  return record;
}
