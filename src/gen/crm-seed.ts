/**
 * A CRM that people already filled, made from a generated dataset: part of the companies the
 * pipeline will load (those the register lets pass) as a sales manager entered them — another
 * spelling of the title, a comment, an owner, the INN in a requisite (KPP, OGRN, a bank account for
 * some), and one contact who is one of that company's real people, found by their own mobile or
 * e-mail (the name maybe shorter). On top: a few twins (a second company with the same INN,
 * entered later) and a few companies whose INN was mistyped, which must never be adopted.
 * `roles` says which is which, in the order of `seed.companies`.
 */
import type { CrmSeed } from '../sandbox/bitrix24/crm-seed.schema.js';
import type { Dataset } from './dataset.js';
import { corruptInn } from './dirt.js';
import { Random } from './random.js';
import { sourceCompanies, type SourceCompany, type SourcePerson } from './crm-seed-sources.js';

export interface CrmSeedOptions {
  /** Share of the expected companies already in the CRM (0..1). */
  share: number;
  seed?: number;
  /** Share of the seeded companies entered twice (at least one when any is seeded). */
  twinShare?: number;
  /** Companies with a mistyped INN, as a share of the seeded ones (at least one when any is seeded). */
  invalidInnShare?: number;
}

export type SeedRole =
  | { role: 'adoptable'; inn: string; personId?: number }
  | { role: 'twin'; inn: string }
  | { role: 'invalidInn'; inn: string; trueInn: string };

export interface GeneratedCrmSeed {
  seed: CrmSeed & { companies: NonNullable<CrmSeed['companies']> };
  roles: SeedRole[];
  counts: { adoptable: number; contacts: number; twins: number; invalidInn: number };
}

const MANAGERS = [7, 9, 12, 15];
const COMMENTS = [
  'Работают по предоплате',
  'Постоянный клиент с 2019 года',
  'Скидка 5% по договору',
  'Звонить только до 16:00',
  'Документы отправлять курьером',
  'Новый контакт с выставки',
  'Был долг, погашен',
  'Интересуются оптом',
];

const QUOTED = /^(ООО|АО|ПАО|ЗАО)\s+(.+)$/u;

/** What a manager types for the register's name: never exactly the register's spelling. */
function managerTitle(rnd: Random, registryName: string): string {
  const org = QUOTED.exec(registryName);
  if (!org) {
    const [, last = '', first = '', middle = ''] = registryName.split(/\s+/u);
    return rnd.chance(0.5) ? `ИП ${last} ${first[0] ?? ''}.${middle[0] ?? ''}.` : `${last} ${first} (ИП)`;
  }
  const [, form, name] = org as unknown as [string, string, string];
  return rnd.pick([
    `${name}`,
    `${form} «${name}»`,
    `${name}, ${form}`,
    `${form} "${name}"`,
    `${name} (${form.toLowerCase()})`,
  ]);
}

const phoneText = (e164: string): string =>
  `+7 ${e164.slice(2, 5)} ${e164.slice(5, 8)}-${e164.slice(8, 10)}-${e164.slice(10, 12)}`;

function contactOf(
  rnd: Random,
  p: SourcePerson,
): NonNullable<CrmSeed['companies'][number]['contacts']>[number] | undefined {
  const name = p.names[0];
  const mobile = p.mobiles[0];
  const email = p.emails[0];
  if (!name || (!mobile && !email)) return undefined;
  const which = !mobile ? 'email' : !email ? 'phone' : rnd.pick(['email', 'phone', 'both'] as const);
  const x = rnd.next();
  // a manager often skips the patronymic, sometimes the surname too
  const typed =
    x < 0.4 ? { lastName: name.lastName } : x < 0.5 ? {} : { lastName: name.lastName, secondName: name.middleName };
  return {
    name: name.firstName,
    ...Object.fromEntries(Object.entries(typed).filter(([, v]) => v !== undefined)),
    ...(which !== 'email' && mobile ? { phones: [phoneText(mobile)] } : {}),
    ...(which !== 'phone' && email ? { emails: [email] } : {}),
    ...(rnd.chance(0.3) ? { comments: rnd.pick(['ЛПР', 'Решает по закупкам', 'В отпуске до конца месяца']) } : {}),
  };
}

function companyOf(rnd: Random, inn: string, registry: Dataset['registry'][string], src: SourceCompany | undefined) {
  const owner = rnd.pick(MANAGERS);
  const requisite = {
    inn,
    ...(registry.kpp && rnd.chance(0.5) ? { kpp: registry.kpp } : {}),
    ...(registry.ogrn && rnd.chance(0.3) ? { ogrn: registry.ogrn } : {}),
    ...(src?.bank && rnd.chance(0.2)
      ? {
          bankDetails: [
            {
              bik: src.bank.bik,
              account: src.bank.account,
              ...(/^\d{20}$/.test(src.bank.corrAccount) ? { corrAccount: src.bank.corrAccount } : {}),
              ...(src.bank.bankName ? { bankName: src.bank.bankName } : {}),
            },
          ],
        }
      : {}),
  };
  return {
    title: managerTitle(rnd, registry.name),
    comments: rnd.pick(COMMENTS),
    assignedById: owner,
    createdById: rnd.chance(0.7) ? owner : 7,
    ...(src?.switchboard && rnd.chance(0.3) ? { phones: [phoneText(src.switchboard)] } : {}),
    requisites: [requisite],
  };
}

export function crmSeedFrom(ds: Dataset, opts: CrmSeedOptions): GeneratedCrmSeed {
  const rnd = new Random(opts.seed ?? 1);
  const expected = ds.truth.companies.filter((inn) => ds.registry[inn]);
  const order = rnd.shuffle([...expected]);
  const chosen = order.slice(0, Math.round(Math.max(0, Math.min(1, opts.share)) * expected.length));
  const sources = sourceCompanies(ds, new Set(chosen));
  const out: GeneratedCrmSeed = {
    seed: { companies: [] },
    roles: [],
    counts: { adoptable: 0, contacts: 0, twins: 0, invalidInn: 0 },
  };

  for (const inn of chosen) {
    const src = sources.get(inn);
    const company = companyOf(rnd, inn, ds.registry[inn]!, src);
    const candidates = rnd.shuffle([...(src?.persons ?? [])]);
    let personId: number | undefined;
    for (const p of candidates) {
      const contact = contactOf(rnd, p);
      if (!contact) continue;
      out.seed.companies.push({ ...company, contacts: [contact] });
      personId = p.id;
      break;
    }
    if (personId === undefined) out.seed.companies.push(company);
    out.roles.push({ role: 'adoptable', inn, ...(personId !== undefined ? { personId } : {}) });
    out.counts.adoptable++;
    if (personId !== undefined) out.counts.contacts++;
  }
  if (!chosen.length) return out;

  // Twins come last, so they are the younger ones: adoption keeps the first.
  const twins = Math.max(1, Math.round((opts.twinShare ?? 0.05) * chosen.length));
  for (const inn of rnd.shuffle([...chosen]).slice(0, twins)) {
    const twin = companyOf(rnd, inn, ds.registry[inn]!, undefined);
    out.seed.companies.push({ ...twin, comments: `${twin.comments} (завели повторно?)` });
    out.roles.push({ role: 'twin', inn });
    out.counts.twins++;
  }
  const invalid = Math.max(1, Math.round((opts.invalidInnShare ?? 0.03) * chosen.length));
  for (const trueInn of order.slice(chosen.length, chosen.length + invalid)) {
    const inn = corruptInn(rnd, trueInn);
    const company = companyOf(rnd, trueInn, ds.registry[trueInn]!, undefined);
    out.seed.companies.push({ ...company, requisites: [{ inn }] });
    out.roles.push({ role: 'invalidInn', inn, trueInn });
    out.counts.invalidInn++;
  }
  return out;
}
