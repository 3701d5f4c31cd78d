import {
  corruptInn,
  dirtyCompanyName,
  dirtyEmail,
  dirtyIdentifier,
  dirtyPhone,
  fullNameText,
  nameForm,
  nameParts,
  typoEmail,
} from './dirt.js';
import {
  SHOP_A,
  SHOP_B,
  shopACompanyId,
  shopAContactId,
  shopBCompanyId,
  shopBContactId,
} from '../mappers/source-ids.js';
import type { Random } from './random.js';
import { longForm, type TrueCompany, type TruePerson } from './universe.js';

/** Shop A rows as the `companies` / `contacts` tables hold them (DESIGN §3). */
export interface ShopACompanyRow {
  id: number;
  name: string;
  inn: string | null;
  kpp: string | null;
  ogrn: string | null;
  address: string | null;
  phone: string | null;
  email: string | null;
  bank_bik: string | null;
  bank_account: string | null;
  bank_corr_account: string | null;
  bank_name: string | null;
  status: 'active' | 'blocked' | 'deleted';
  created_at: string;
  updated_at: string;
}
export interface ShopAContactRow {
  id: number;
  company_id: number | null;
  full_name: string | null;
  position: string | null;
  phone: string | null;
  email: string | null;
  updated_at: string;
}
export interface ShopBContact {
  contactId: string;
  lastName: string | null;
  firstName: string | null;
  middleName: string | null;
  position: string | null;
  phones: string[];
  emails: string[];
}
export interface ShopBPartner {
  partnerId: string;
  kind: 'ORG' | 'IE';
  name: string;
  fullName: string;
  taxNumbers: { type: 'INN' | 'KPP' | 'OGRN' | 'OGRNIP'; value: string }[];
  address: string;
  phones: string[];
  emails: string[];
  bankAccounts: { bik: string; account: string; corrAccount: string; bankName: string }[];
  blocked: boolean;
  changedAt: string;
  contacts: ShopBContact[];
}

export interface StoreOptions {
  /** Share of a company's people that appear in each store. */
  shopAContactShare: number;
  shopBContactShare: number;
  missingInn: number;
  invalidInn: number;
  duplicateRecord: number;
  /** How many times Shop B lists one person in one partner (its CRM kept duplicates). */
  shopBContactRepeats: [number, number];
  /** Whether records may hold a weak name (initials, no patronymic, first name only); see `nameForm`. */
  weakNames?: boolean;
}

/** How the generator wrote a company record's INN: as is, left empty, or with one digit changed. */
export type InnFate = 'ok' | 'missing' | 'invalid';

/** A valid company record: its contacts count toward the truth only if the record itself does. */
export interface RecordFate {
  valid: boolean;
  deleted: boolean;
  inn: InnFate;
}

function innFate(rnd: Random, o: StoreOptions): InnFate {
  const x = rnd.next();
  return x < o.missingInn ? 'missing' : x < o.missingInn + o.invalidInn ? 'invalid' : 'ok';
}

function innValue(rnd: Random, c: TrueCompany, fate: InnFate): string | null {
  if (fate === 'missing') return rnd.pick([null, '', '   ']);
  return dirtyIdentifier(rnd, fate === 'invalid' ? corruptInn(rnd, c.inn) : c.inn);
}

/**
 * The ways one person is recorded, drawn independently for every record: no key is guaranteed
 * to be shared by a person's records (a record may hold only initials and an old e-mail). Shares
 * below are per record; the name form is drawn by `nameForm` (dirt.ts).
 */
export const channelShares = {
  email: 0.6,
  /** Of the e-mails, how many are the address a person used before (when they changed it). */
  oldEmail: 0.5,
  /** A typo in the e-mail's local part, only in a record that also holds the mobile. */
  emailTypo: 0.05,
  mobile: 0.6,
  extension: 0.3,
  /** The switchboard without an extension, or the company's info@: channels colleagues share. */
  bareSwitchboard: 0.05,
  infoMail: 0.03,
} as const;

function channels(rnd: Random, p: TruePerson, c: TrueCompany) {
  const s = channelShares;
  const phones: string[] = [];
  const emails: string[] = [];
  const mobile = rnd.chance(s.mobile);
  if (mobile) phones.push(dirtyPhone(rnd, p.mobile));
  if (rnd.chance(s.extension)) phones.push(dirtyPhone(rnd, c.switchboard, p.ext));
  else if (rnd.chance(s.bareSwitchboard)) phones.push(dirtyPhone(rnd, c.switchboard));
  if (rnd.chance(s.email)) {
    const address = p.oldEmail && rnd.chance(s.oldEmail) ? p.oldEmail : p.email;
    emails.push(dirtyEmail(rnd, mobile && rnd.chance(s.emailTypo) ? typoEmail(rnd, address) : address));
  }
  if (rnd.chance(s.infoMail)) emails.push(dirtyEmail(rnd, c.email));
  return { phones, emails };
}

/** A Shop B contact's name fields: the parts, or (as SAP exports often do) the whole name in one of them. */
function shopBName(
  rnd: Random,
  p: TruePerson,
  weak: boolean,
): Pick<ShopBContact, 'lastName' | 'firstName' | 'middleName'> {
  const form = nameForm(rnd, weak);
  if (rnd.chance(0.2)) {
    const text = fullNameText(p, form);
    return rnd.chance(0.8)
      ? { lastName: text, firstName: null, middleName: null }
      : { lastName: null, firstName: text, middleName: null };
  }
  const n = nameParts(p, form);
  return { lastName: n.last, firstName: n.first, middleName: n.middle };
}

const iso = (d: Date) => d.toISOString();

/** How the truth names a source record: `<source>|<sourceId>` with the mappers' own ids. */
export const sourceKey = (source: string, sourceId: string) => `${source}|${sourceId}`;
const sqlTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

export function shopACompanyRows(
  rnd: Random,
  companies: TrueCompany[],
  o: StoreOptions & { deleteShare: number },
  t0: Date,
) {
  const companyRows: ShopACompanyRow[] = [];
  const contactRows: ShopAContactRow[] = [];
  const fates = new Map<number, { trueId: number; fate: RecordFate }>();
  const contactOwners = new Map<string, { personId: number; recordKey: string }>();
  let rowId = 0;
  let contactId = 0;
  for (const c of companies) {
    const copies = rnd.chance(o.duplicateRecord) ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      const id = ++rowId;
      const fate = innFate(rnd, o);
      const deleted = rnd.chance(o.deleteShare);
      const when = new Date(t0.getTime() + rnd.int(0, 300 * 86400) * 1000);
      companyRows.push({
        id,
        name: dirtyCompanyName(rnd, c),
        inn: innValue(rnd, c, fate),
        kpp: c.kpps[k] ?? c.kpps[0] ?? null,
        ogrn: rnd.chance(0.8) ? dirtyIdentifier(rnd, c.ogrn) : null,
        address: rnd.chance(0.9) ? c.address : null,
        phone: rnd.chance(0.2)
          ? `${dirtyPhone(rnd, c.switchboard)}, ${dirtyPhone(rnd, c.switchboard.replace(/\d$/, '9'))}`
          : dirtyPhone(rnd, c.switchboard),
        email: rnd.chance(0.8) ? dirtyEmail(rnd, c.email) : null,
        bank_bik: c.bank.bik,
        bank_account: c.bank.account,
        bank_corr_account: c.bank.corr,
        bank_name: c.bank.name,
        status: deleted ? 'deleted' : rnd.chance(0.03) ? 'blocked' : 'active',
        created_at: sqlTime(when),
        updated_at: sqlTime(when),
      });
      fates.set(id, { trueId: c.id, fate: { valid: fate === 'ok', deleted, inn: fate } });
      if (deleted) continue;
      for (const p of c.persons) {
        if (!rnd.chance(o.shopAContactShare / copies)) continue;
        const a = channels(rnd, p, c);
        const cid = ++contactId;
        contactRows.push({
          id: cid,
          company_id: id,
          full_name: fullNameText(p, nameForm(rnd, o.weakNames ?? true)),
          position: p.position || null,
          phone: a.phones.join(', ') || null,
          email: a.emails.join(', ') || null,
          updated_at: sqlTime(when),
        });
        contactOwners.set(sourceKey(SHOP_A, shopAContactId(cid)), {
          personId: p.id,
          recordKey: sourceKey(SHOP_A, shopACompanyId(id)),
        });
      }
    }
  }
  // Orphans: contacts whose company the store never recorded.
  for (let i = 0; i < Math.ceil(contactRows.length * 0.005); i++) {
    contactRows.push({
      id: ++contactId,
      company_id: null,
      full_name: 'Неизвестный Контакт',
      position: null,
      phone: null,
      email: `orphan${i}@example.ru`,
      updated_at: sqlTime(t0),
    });
  }
  return { companyRows, contactRows, fates, contactOwners };
}

export function shopBPartners(rnd: Random, companies: TrueCompany[], o: StoreOptions, t0: Date) {
  const partners: ShopBPartner[] = [];
  const fates = new Map<string, { trueId: number; fate: RecordFate }>();
  const contactOwners = new Map<string, { personId: number; recordKey: string }>();
  let seq = 1_000_000;
  for (const c of companies) {
    const copies = rnd.chance(o.duplicateRecord) ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      const partnerId = String(++seq).padStart(10, '0');
      const fate = innFate(rnd, o);
      const inn = innValue(rnd, c, fate);
      const taxNumbers: ShopBPartner['taxNumbers'] = [];
      if (inn !== null && inn.trim() !== '') taxNumbers.push({ type: 'INN', value: inn });
      const kpp = c.kpps[k] ?? c.kpps[0];
      if (kpp) taxNumbers.push({ type: 'KPP', value: kpp });
      taxNumbers.push({ type: c.kind === 'ORG' ? 'OGRN' : 'OGRNIP', value: c.ogrn });
      const contacts: ShopBContact[] = [];
      for (const p of c.persons) {
        if (!rnd.chance(o.shopBContactShare / copies)) continue;
        for (let r = rnd.int(...o.shopBContactRepeats); r > 0; r--) {
          const a = channels(rnd, p, c);
          const contactId = `C-${p.id}-${k}-${r}`;
          contacts.push({
            contactId,
            ...shopBName(rnd, p, o.weakNames ?? true),
            position: p.position || null,
            phones: a.phones,
            emails: a.emails,
          });
          contactOwners.set(sourceKey(SHOP_B, shopBContactId(partnerId, contactId)), {
            personId: p.id,
            recordKey: sourceKey(SHOP_B, shopBCompanyId(partnerId)),
          });
        }
      }
      const q = rnd.pick(['"', '«']);
      partners.push({
        partnerId,
        kind: c.kind,
        name: dirtyCompanyName(rnd, c),
        fullName:
          c.kind === 'IE' ? `${longForm('ИП')} ${c.name}` : `${longForm(c.form)} ${q}${c.name}${q === '«' ? '»' : '"'}`,
        taxNumbers,
        address: c.address,
        phones: [dirtyPhone(rnd, c.switchboard, rnd.chance(0.1) ? '123' : undefined)],
        emails: [dirtyEmail(rnd, c.email)],
        bankAccounts: [{ bik: c.bank.bik, account: c.bank.account, corrAccount: c.bank.corr, bankName: c.bank.name }],
        blocked: rnd.chance(0.03),
        changedAt: iso(new Date(t0.getTime() + rnd.int(0, 300 * 86400) * 1000)),
        contacts,
      });
      fates.set(partnerId, { trueId: c.id, fate: { valid: fate === 'ok', deleted: false, inn: fate } });
    }
  }
  return { partners, fates, contactOwners };
}
