/**
 * Puts a CRM seed into the portal's store so that every record looks entered by a person: no
 * ORIGINATOR_ID / ORIGIN_ID / XML_ID, created and owned by a user other than the webhook's,
 * DATE_CREATE in the past and growing in file order (so "the oldest of two twins" is the first
 * one listed), requisites on the company (ENTITY_TYPE_ID 4) with the preset its INN calls for.
 * Records are built by the same writer the add methods use, so they read back exactly alike.
 */
import { isoWithOffset } from './envelope.js';
import { buildNew } from './methods/entity-writer.js';
import { PERSON_USER_ID } from './person.js';
import type { EntityName } from './schema.js';
import type { PortalStore } from './store.js';
import {
  parseCrmSeed,
  type CrmSeed,
  type ParsedCrmSeed,
  type SeedCompany,
  type SeedContact,
} from './crm-seed.schema.js';

/** What was created, in file order: tests and the demo compare the portal with it after a run. */
export interface SeededCompany {
  id: number;
  requisiteIds: number[];
  bankDetailIds: number[];
  contactIds: number[];
}

export interface CrmSeedResult {
  companies: SeededCompany[];
  counts: { companies: number; requisites: number; bankDetails: number; contacts: number };
}

const PRESET_ORG = '1'; // #CRM_REQUISITE_PRESET_DEF_RU_COMPANY#
const PRESET_IE = '2'; // #CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#
const DAY = 86_400_000;

/** Creation times: growing, all in the past, an hour apart while that fits in ~2 years. */
function clock(slots: number, now: number): () => number {
  const span = 730 * DAY;
  const step = Math.min(3_600_000, Math.floor(span / (slots + 1)));
  let t = now - span;
  return () => (t += step);
}

const rows = (values: readonly string[] | undefined, valueType: string) =>
  values?.length ? values.map((VALUE) => ({ VALUE, VALUE_TYPE: valueType })) : undefined;

export interface SeedOptions {
  /** The webhook's user: seeded records must not look like its own. */
  webhookUser: string;
  now?: number;
}

export function seedPortal(store: PortalStore, input: CrmSeed | ParsedCrmSeed, opts: SeedOptions): CrmSeedResult {
  const seed = parseCrmSeed(input);
  for (const [i, c] of seed.companies.entries()) {
    const users = [
      c.createdById ?? Number(PERSON_USER_ID),
      ...c.contacts.map((k) => k.createdById ?? Number(PERSON_USER_ID)),
    ];
    if (users.some((u) => String(u) === opts.webhookUser)) {
      throw new Error(
        `CRM seed: companies[${i}] would be created by user ${opts.webhookUser}, the webhook's own user; people's records need another createdById`,
      );
    }
  }
  const slots = seed.companies.reduce((n, c) => n + 1 + c.contacts.length, 0);
  const next = clock(slots, opts.now ?? Date.now());
  const result: CrmSeedResult = { companies: [], counts: { companies: 0, requisites: 0, bankDetails: 0, contacts: 0 } };

  const add = (entity: EntityName, fields: Record<string, unknown>, createdBy: number, date: string): number => {
    const rec = buildNew(entity, fields, { store, userId: String(createdBy) });
    rec.fields.DATE_CREATE = date;
    if (rec.fields.DATE_MODIFY !== '') rec.fields.DATE_MODIFY = date; // requisites print '' until changed
    return store.add(entity, rec.fields, rec.multi);
  };

  for (const c of seed.companies) {
    const out = seedCompany(c, add, next);
    result.companies.push(out);
    result.counts.companies++;
    result.counts.requisites += out.requisiteIds.length;
    result.counts.bankDetails += out.bankDetailIds.length;
    result.counts.contacts += out.contactIds.length;
  }
  return result;
}

type Add = (entity: EntityName, fields: Record<string, unknown>, createdBy: number, date: string) => number;

function seedCompany(c: SeedCompany, add: Add, next: () => number): SeededCompany {
  const createdBy = c.createdById ?? Number(PERSON_USER_ID);
  const date = c.dateCreate ?? isoWithOffset(next());
  const id = add(
    'company',
    {
      TITLE: c.title,
      COMMENTS: c.comments ?? '',
      ASSIGNED_BY_ID: String(c.assignedById ?? createdBy),
      PHONE: rows(c.phones, 'WORK'),
      EMAIL: rows(c.emails, 'WORK'),
    },
    createdBy,
    date,
  );
  const out: SeededCompany = { id, requisiteIds: [], bankDetailIds: [], contactIds: [] };
  for (const r of c.requisites) {
    const ie = r.inn.length === 12;
    const rq = add(
      'requisite',
      {
        ENTITY_TYPE_ID: '4',
        ENTITY_ID: String(id),
        PRESET_ID: ie ? PRESET_IE : PRESET_ORG,
        NAME: r.name ?? (ie ? 'ИП' : 'Организация'),
        RQ_INN: r.inn,
        RQ_KPP: r.kpp,
        [ie ? 'RQ_OGRNIP' : 'RQ_OGRN']: r.ogrn,
        ...(ie ? {} : { RQ_COMPANY_NAME: c.title }),
      },
      createdBy,
      date,
    );
    out.requisiteIds.push(rq);
    for (const b of r.bankDetails) {
      out.bankDetailIds.push(
        add(
          'bankdetail',
          {
            ENTITY_ID: String(rq),
            NAME: b.name ?? b.bankName ?? 'Расчётный счёт',
            RQ_BIK: b.bik,
            RQ_ACC_NUM: b.account,
            RQ_COR_ACC_NUM: b.corrAccount,
            RQ_BANK_NAME: b.bankName,
          },
          createdBy,
          date,
        ),
      );
    }
  }
  for (const k of c.contacts) out.contactIds.push(seedContact(k, id, add, next));
  return out;
}

function seedContact(k: SeedContact, companyId: number, add: Add, next: () => number): number {
  const createdBy = k.createdById ?? Number(PERSON_USER_ID);
  return add(
    'contact',
    {
      NAME: k.name,
      LAST_NAME: k.lastName,
      SECOND_NAME: k.secondName,
      POST: k.post,
      COMMENTS: k.comments ?? '',
      ASSIGNED_BY_ID: String(k.assignedById ?? createdBy),
      COMPANY_ID: String(companyId),
      PHONE: rows(k.phones, 'WORK'),
      EMAIL: rows(k.emails, 'WORK'),
    },
    createdBy,
    k.dateCreate ?? isoWithOffset(next()),
  );
}
