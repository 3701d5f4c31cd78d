import { accountKey, innCheckDigits, ogrnCheckDigit, ogrnipCheckDigit } from '../identifiers/index.js';
import type { Random } from './random.js';
import {
  banks,
  cities,
  companySuffixes,
  companyWords,
  emailDomains,
  femaleFirst,
  lastNames,
  maleFirst,
  patronymics,
  positions,
  streets,
  translit,
} from './vocabulary.js';

/** The truth behind the synthetic stores: real companies and people, before any dirt. */
export type RegistryStatus = 'ACTIVE' | 'REORGANIZING' | 'LIQUIDATING' | 'LIQUIDATED' | 'BANKRUPT' | 'UNKNOWN';

export interface TruePerson {
  id: number;
  lastName: string;
  firstName: string;
  middleName: string;
  position: string;
  mobile: string; // E.164 digits without '+'
  email: string;
  /** An address the person used before (a changed e-mail): older records may still hold it. */
  oldEmail?: string;
  /** Extension on the company switchboard (shared number, so never a match key). */
  ext: string;
  /** How this person came to be: a hard negative shares a name with a colleague. */
  kind: 'person' | 'namesake' | 'son';
}

export interface TrueCompany {
  id: number;
  kind: 'ORG' | 'IE';
  inn: string;
  kpps: string[];
  ogrn: string;
  form: 'ООО' | 'АО' | 'ПАО' | 'ЗАО' | 'ИП';
  name: string; // bare name, no legal form
  address: string;
  switchboard: string;
  email: string;
  bank: { bik: string; account: string; corr: string; name: string };
  status: RegistryStatus;
  persons: TruePerson[];
}

const formLong: Record<TrueCompany['form'], string> = {
  ООО: 'Общество с ограниченной ответственностью',
  АО: 'Акционерное общество',
  ПАО: 'Публичное акционерное общество',
  ЗАО: 'Закрытое акционерное общество',
  ИП: 'Индивидуальный предприниматель',
};
export const longForm = (form: TrueCompany['form']) => formLong[form];

function status(rnd: Random): RegistryStatus {
  const x = rnd.next();
  if (x < 0.9) return 'ACTIVE';
  if (x < 0.92) return 'REORGANIZING';
  if (x < 0.94) return 'LIQUIDATING';
  if (x < 0.97) return 'LIQUIDATED';
  if (x < 0.98) return 'BANKRUPT';
  return 'UNKNOWN';
}

/** Unique, valid identifiers from a counter, so two companies never collide by accident. */
function innFor(kind: 'ORG' | 'IE', n: number, rnd: Random): string {
  const region = String(rnd.pick([77, 78, 50, 16, 54, 66, 63])).padStart(2, '0');
  const body = kind === 'ORG' ? `${region}${String(n).padStart(7, '0')}` : `${region}${String(n).padStart(8, '0')}`;
  return body + innCheckDigits(body);
}

function ogrnFor(kind: 'ORG' | 'IE', n: number): string {
  if (kind === 'ORG') {
    const body = `10277${String(n).padStart(7, '0')}`;
    return body + ogrnCheckDigit(body);
  }
  const body = `30477${String(n).padStart(9, '0')}`;
  return body + ogrnipCheckDigit(body);
}

function accountFor(bik: string, n: number): string {
  const account = `40702810${String(n).padStart(12, '0')}`;
  return `${account.slice(0, 8)}${accountKey(account, bik)}${account.slice(9)}`;
}

function latin(s: string): string {
  return [...s.toLowerCase()].map((c) => translit[c] ?? c).join('');
}

export interface UniverseOptions {
  companies: number;
  personsPerCompany: [number, number];
  /** Share of companies with a namesake pair (same full name, different person and channels). */
  namesakes: number;
  /** Share of companies with a father and son (same first and last name, other patronymic). */
  fatherAndSon: number;
  /** Share of persons who changed their e-mail (older records keep the old one). */
  changedEmail: number;
  /** Redraw a name already taken in the company (no accidental namesakes either). */
  distinctNames?: boolean;
}

/**
 * The people of a company. Names are drawn freely from a small vocabulary, so accidental
 * namesakes happen as in life; on top, some companies get a deliberate namesake or a father and
 * son. Who is who comes from the person id only; nothing here knows the matching rules.
 */
function makePersons(rnd: Random, opts: UniverseOptions, next: () => number): TruePerson[] {
  const persons: TruePerson[] = [];
  const person = (lastName: string, firstName: string, middleName: string, kind: TruePerson['kind']): TruePerson => {
    const pid = next();
    const p: TruePerson = {
      id: pid,
      lastName,
      firstName,
      middleName,
      position: rnd.pick(positions),
      mobile: `79${String(100_000_000 + pid).slice(-9)}`,
      email: `${latin(firstName)}.${latin(lastName)}${pid}@${rnd.pick(emailDomains)}`,
      ext: String(100 + persons.length),
      kind,
    };
    if (rnd.chance(opts.changedEmail)) p.oldEmail = `${latin(lastName)}${pid % 1000}@${rnd.pick(emailDomains)}`;
    persons.push(p);
    return p;
  };
  const taken = new Set<string>();
  for (let i = rnd.int(...opts.personsPerCompany); i > 0; i--) {
    const female = rnd.chance(0.5);
    const [m, f] = rnd.pick(lastNames);
    const name = [
      female ? f : m,
      rnd.pick(female ? femaleFirst : maleFirst),
      rnd.pick(patronymics)[female ? 1 : 0],
    ] as const;
    const key = name.join(' ').replace(/ё/g, 'е');
    if (opts.distinctNames && taken.has(key)) {
      i++;
      continue;
    }
    taken.add(key);
    person(...name, 'person');
  }
  const first = persons[0];
  if (first && rnd.chance(opts.namesakes)) person(first.lastName, first.firstName, first.middleName, 'namesake');
  if (rnd.chance(opts.fatherAndSon)) {
    const [m] = rnd.pick(lastNames);
    const name = rnd.pick(maleFirst);
    const father = rnd.pick(patronymics)[0];
    const son = rnd.pick(patronymics.filter(([p]) => p !== father))[0];
    person(m, name, father, 'person');
    person(m, name, son, 'son');
  }
  return persons;
}

export function makeUniverse(rnd: Random, opts: UniverseOptions): TrueCompany[] {
  const out: TrueCompany[] = [];
  let personId = 0;
  for (let id = 1; id <= opts.companies; id++) {
    const kind = rnd.chance(0.85) ? 'ORG' : 'IE';
    const inn = innFor(kind, id, rnd);
    const persons = makePersons(rnd, opts, () => ++personId);
    const ieName = persons[0]
      ? `${persons[0].lastName} ${persons[0].firstName} ${persons[0].middleName}`
      : `Предприниматель ${id}`;
    const name =
      kind === 'IE' ? ieName : `${rnd.pick(companyWords)}${rnd.pick(companySuffixes)}${id % 7 === 0 ? ` ${id}` : ''}`;
    const bank = rnd.pick(banks);
    const kppCount = kind === 'IE' ? 0 : rnd.chance(0.05) ? 2 : 1;
    const kpps = Array.from({ length: kppCount }, (_, i) => `${inn.slice(0, 4)}0${i + 1}001`);
    out.push({
      id,
      kind,
      inn,
      kpps,
      ogrn: ogrnFor(kind, id),
      form: kind === 'IE' ? 'ИП' : rnd.pick(['ООО', 'ООО', 'ООО', 'АО', 'ПАО', 'ЗАО'] as const),
      name,
      address: `${rnd.int(100000, 199999)}, ${rnd.pick(cities)}, ${rnd.pick(streets)}, д. ${rnd.int(1, 120)}`,
      switchboard: `7495${String(1_000_000 + id).slice(-7)}`,
      email: `info${id}@${latin(companyWords[id % companyWords.length]!).replace(/[^a-z]/g, '')}.ru`,
      bank: { bik: bank.bik, account: accountFor(bank.bik, id), corr: bank.corr, name: bank.name },
      status: status(rnd),
      persons,
    });
  }
  return out;
}
