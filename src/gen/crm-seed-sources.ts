/**
 * What the stores say about the people and the companies of some INNs, read back from the
 * dataset's own source records and the truth's record → person map: per person their names and
 * their personal channels (a mobile or an e-mail no colleague's record and no company record
 * uses), per company its switchboard and bank account. A CRM seed built from these matches the
 * golden records the pipeline will make, by construction, without the generator's internals.
 */
import { SHOP_A, SHOP_B, shopAContactId, shopBContactId } from '../mappers/source-ids.js';
import { parseEmails, parsePersonName, parsePhones, type PersonName } from '../normalize/index.js';
import type { Dataset } from './dataset.js';
import type { ShopBPartner } from './stores.js';
import { sourceKey } from './stores.js';

export interface SourcePerson {
  id: number;
  /** Names read from the records (Cyrillic words, no initials), the fullest and most frequent first. */
  names: PersonName[];
  /** E.164 mobiles and lower-case e-mails only this person's records hold, most frequent first. */
  mobiles: string[];
  emails: string[];
}

export interface SourceCompany {
  inn: string;
  persons: SourcePerson[];
  switchboard?: string;
  bank?: { bik: string; account: string; corrAccount: string; bankName: string };
}

interface Raw {
  person: number;
  name: string;
  phones: string | readonly string[] | null;
  emails: string | readonly string[] | null;
}

const digits = (s: string | null | undefined): string => (s ?? '').replace(/\D/g, '');
const CYRILLIC = /^[А-ЯЁа-яё-]+$/u;
const fullWord = (w: string | undefined): w is string => w !== undefined && w.length > 1 && CYRILLIC.test(w);

/** Shop B partners as the stores last sent them: the dump, then each UPSERT event over it. */
function partners(ds: Dataset): ShopBPartner[] {
  const byId = new Map(ds.shopB.dump.map((p) => [p.partnerId, p]));
  for (const e of ds.shopB.events) {
    try {
      const ev = JSON.parse(e.value) as { type?: string; partner?: ShopBPartner };
      if (ev.type === 'PARTNER_UPSERT' && typeof ev.partner?.partnerId === 'string')
        byId.set(ev.partner.partnerId, ev.partner);
    } catch {
      /* poison messages carry nothing */
    }
  }
  return [...byId.values()];
}

function byFrequency(values: string[]): string[] {
  const n = new Map<string, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1]).map(([v]) => v);
}

export function sourceCompanies(ds: Dataset, inns: ReadonlySet<string>): Map<string, SourceCompany> {
  const records = ds.truth.contactRecords;
  const raws = new Map<string, Raw[]>();
  const companyChannels = new Map<string, Set<string>>();
  const out = new Map<string, SourceCompany>();
  const company = (inn: string) => out.get(inn) ?? out.set(inn, { inn, persons: [] }).get(inn)!;
  const push = (key: string, raw: Omit<Raw, 'person'>) => {
    const r = records[key];
    if (!r || !r.live || !inns.has(r.inn)) return;
    (raws.get(r.inn) ?? raws.set(r.inn, []).get(r.inn)!).push({ ...raw, person: r.person });
  };
  const companyRecord = (
    inn: string,
    phones: readonly string[],
    emails: readonly string[],
    bank?: SourceCompany['bank'],
  ) => {
    if (!inns.has(inn)) return;
    const c = company(inn);
    const own = companyChannels.get(inn) ?? companyChannels.set(inn, new Set()).get(inn)!;
    for (const p of parsePhones(phones).phones) {
      own.add(p.e164);
      c.switchboard ??= p.e164;
    }
    for (const e of parseEmails(emails).emails) own.add(e);
    if (bank && /^\d{9}$/.test(bank.bik) && /^\d{20}$/.test(bank.account)) c.bank ??= bank;
  };

  for (const row of ds.shopA.companies) {
    companyRecord(
      digits(row.inn),
      [row.phone ?? ''],
      [row.email ?? ''],
      row.bank_bik && row.bank_account
        ? {
            bik: row.bank_bik,
            account: row.bank_account,
            corrAccount: row.bank_corr_account ?? '',
            bankName: row.bank_name ?? '',
          }
        : undefined,
    );
  }
  for (const row of ds.shopA.contacts)
    push(sourceKey(SHOP_A, shopAContactId(row.id)), {
      name: row.full_name ?? '',
      phones: row.phone,
      emails: row.email,
    });
  for (const p of partners(ds)) {
    const inn = digits(p.taxNumbers.find((t) => t.type === 'INN')?.value);
    const b = p.bankAccounts[0];
    companyRecord(
      inn,
      p.phones,
      p.emails,
      b ? { bik: b.bik, account: b.account, corrAccount: b.corrAccount, bankName: b.bankName } : undefined,
    );
    for (const k of p.contacts) {
      push(sourceKey(SHOP_B, shopBContactId(p.partnerId, k.contactId)), {
        name: [k.lastName, k.firstName, k.middleName].filter(Boolean).join(' '),
        phones: k.phones,
        emails: k.emails,
      });
    }
  }
  for (const [inn, list] of raws) company(inn).persons = persons(list, companyChannels.get(inn) ?? new Set());
  return out;
}

const nameKey = (n: PersonName): string =>
  [n.lastName, n.firstName, n.middleName]
    .map((w) => w ?? '')
    .join(' ')
    .toLowerCase()
    .replace(/ё/g, 'е');

/** Per person: names and the channels that are theirs alone within the company. */
function persons(list: Raw[], companyOwn: ReadonlySet<string>): SourcePerson[] {
  const users = new Map<string, Set<number>>();
  const seen = (channel: string, person: number) =>
    (users.get(channel) ?? users.set(channel, new Set()).get(channel)!).add(person);
  const acc = new Map<number, { names: PersonName[]; mobiles: string[]; emails: string[] }>();
  for (const r of list) {
    const a = acc.get(r.person) ?? acc.set(r.person, { names: [], mobiles: [], emails: [] }).get(r.person)!;
    const n = parsePersonName(r.name);
    // a first name and nothing but full words: initials and Latin spellings are no name to type
    const parts = [n.lastName, n.firstName, n.middleName].filter((w) => w !== undefined);
    if (fullWord(n.firstName) && parts.every(fullWord)) a.names.push(n);
    for (const p of parsePhones(r.phones).phones) {
      seen(p.e164, r.person);
      if (p.ext === undefined && (p.type === 'MOBILE' || p.type === 'FIXED_LINE_OR_MOBILE')) a.mobiles.push(p.e164);
    }
    for (const e of parseEmails(r.emails).emails) {
      seen(e, r.person);
      a.emails.push(e);
    }
  }
  const personal = (c: string) => users.get(c)?.size === 1 && !companyOwn.has(c);
  return [...acc]
    .map(([id, a]) => {
      const names = new Map<string, PersonName>();
      for (const n of a.names) names.set(nameKey(n), n);
      const size = (k: string) => k.split(' ').filter(Boolean).length;
      const order = byFrequency(a.names.map(nameKey)).sort((x, y) => size(y) - size(x)); // stable: frequency within a size
      return {
        id,
        names: order.map((k) => names.get(k)!),
        mobiles: byFrequency(a.mobiles).filter(personal),
        emails: byFrequency(a.emails).filter(personal),
      };
    })
    .sort((x, y) => x.id - y.id);
}
