import type { Registry } from '../sandbox/egrul/registry.js';
import { Random } from './random.js';
import { SHOP_A, SHOP_B, shopACompanyId, shopBCompanyId } from '../mappers/source-ids.js';
import {
  sourceKey,
  shopACompanyRows,
  shopBPartners,
  type InnFate,
  type ShopAContactRow,
  type ShopACompanyRow,
  type ShopBPartner,
  type StoreOptions,
} from './stores.js';
import { makeUniverse, type RegistryStatus, type TrueCompany } from './universe.js';

export interface Scale {
  shopACompanies: number;
  shopBCompanies: number;
  /** Companies present in both stores (cross-store duplicates). */
  overlap: number;
  personsPerCompany: [number, number];
  /** Hard negatives and changed e-mails among the people (see UniverseOptions). */
  people: { namesakes: number; fatherAndSon: number; changedEmail: number; distinctNames?: boolean };
  store: StoreOptions;
  /** Share of Shop B partners that reach us only as Kafka events (the rest are in the dump). */
  kafkaOnlyShare: number;
  /** Share of partners followed by a poison message (not JSON, or failing the schema). */
  poisonShare: number;
  /** Share of records deleted at the source (Shop A status, Shop B PARTNER_DELETE). */
  deleteShare: number;
}

export const scales: Record<'small' | 'seed', Scale> = {
  small: {
    shopACompanies: 120,
    shopBCompanies: 200,
    overlap: 40,
    personsPerCompany: [1, 5],
    people: { namesakes: 0.03, fatherAndSon: 0.03, changedEmail: 0.1 },
    store: {
      shopAContactShare: 0.5,
      shopBContactShare: 0.9,
      missingInn: 0.04,
      invalidInn: 0.05,
      duplicateRecord: 0.05,
      shopBContactRepeats: [1, 2],
    },
    kafkaOnlyShare: 0.25,
    poisonShare: 0.02,
    deleteShare: 0.03,
  },
  // The seed system's volumes (hard negatives rarer than at small scale, where they must show up): A 53 000 companies / 75 000 contacts, B 125 000 / 600 000.
  seed: {
    shopACompanies: 51_500,
    shopBCompanies: 122_500,
    overlap: 8_000,
    personsPerCompany: [1, 3],
    people: { namesakes: 0.005, fatherAndSon: 0.005, changedEmail: 0.1 },
    store: {
      shopAContactShare: 0.7,
      shopBContactShare: 0.96,
      missingInn: 0.02,
      invalidInn: 0.02,
      duplicateRecord: 0.03,
      shopBContactRepeats: [1, 4],
    },
    kafkaOnlyShare: 0.2,
    poisonShare: 0.002,
    deleteShare: 0.01,
  },
};

/** A fraction of the seed scale, every proportion kept (companies, overlap; shares are shares). */
export function scaleFraction(fraction: number): Scale {
  const s = scales.seed;
  return {
    ...s,
    shopACompanies: Math.round(s.shopACompanies * fraction),
    shopBCompanies: Math.round(s.shopBCompanies * fraction),
    overlap: Math.round(s.overlap * fraction),
  };
}

/**
 * The same scale with only the cases the matching rules can reach: no namesakes, no father and
 * son, every record naming its person in full (last, first and patronymic, in any spelling,
 * order, case or transliteration). The truth still comes from person ids; end-to-end and chaos
 * tests use it to assert exactly the expected contacts, while the benchmark and the demo score
 * the resolver on the full mix (see BENCHMARKS.md §8).
 */
export function reachable(scale: Scale): Scale {
  return {
    ...scale,
    people: { ...scale.people, namesakes: 0, fatherAndSon: 0, distinctNames: true },
    store: { ...scale.store, weakNames: false },
  };
}

export interface KafkaEvent {
  key: string;
  value: string;
}

export interface Truth {
  companies: string[];
  /** Expected golden contacts: one entry per real person, with the INN of their company. */
  contacts: { personId: number; inn: string }[];
  /** Which real person each source contact record is, keyed `<source>|<sourceId>` (mapper ids). */
  contactOwners: Record<string, number>;
  /**
   * Every source contact record with its person, the INN of its company, and whether it must
   * reach a golden contact: its company record is live (not deleted) with a valid INN. Whether the
   * register lets the company pass is `companies` above. From the generator's person ids only.
   */
  contactRecords: Record<string, { person: number; inn: string; live: boolean }>;
  /**
   * Every source company record, keyed `<source>|<sourceId>`, with the dirt the generator chose for
   * it: its INN as written (`inn`), whether the store deleted it, and the register status of its
   * real company (`realInn`). What a reject of the record must say follows from these alone.
   */
  companyRecords: Record<string, { realInn: string; inn: InnFate; deleted: boolean; register: RegistryStatus }>;
  counts: Record<string, number>;
}

export interface Dataset {
  shopA: { companies: ShopACompanyRow[]; contacts: ShopAContactRow[] };
  shopB: { dump: ShopBPartner[]; events: KafkaEvent[] };
  registry: Registry;
  truth: Truth;
}

const passes = (c: TrueCompany) => c.status === 'ACTIVE' || c.status === 'REORGANIZING';

/** Shop B's change feed: new partners, updates, deletes, a redelivered event and poison messages. */
function kafkaFeed(
  rnd: Random,
  partners: ShopBPartner[],
  kafkaOnly: Set<string>,
  deleted: Set<string>,
  t1: Date,
  poisonShare: number,
): KafkaEvent[] {
  const events: KafkaEvent[] = [];
  let n = 0;
  const event = (type: 'PARTNER_UPSERT' | 'PARTNER_DELETE', partner: unknown, partnerId: string) => {
    const value = JSON.stringify({
      eventId: `ev-${++n}`,
      type,
      occurredAt: new Date(t1.getTime() + n * 1000).toISOString(),
      partner,
    });
    events.push({ key: partnerId, value });
    if (rnd.chance(0.01)) events.push({ key: partnerId, value }); // at-least-once upstream: same eventId again
  };
  for (const p of partners) {
    if (kafkaOnly.has(p.partnerId)) event('PARTNER_UPSERT', p, p.partnerId);
    else if (rnd.chance(0.05))
      event('PARTNER_UPSERT', { ...p, changedAt: new Date(t1.getTime() + n * 1000).toISOString() }, p.partnerId);
    if (deleted.has(p.partnerId)) event('PARTNER_DELETE', { partnerId: p.partnerId }, p.partnerId);
    if (rnd.chance(poisonShare))
      events.push({
        key: p.partnerId,
        value: rnd.pick([
          '{"eventId": "broken',
          'not json at all',
          '{"eventId":"x","type":"PARTNER_UPSERT","partner":{"partnerId":42}}',
        ]),
      });
  }
  return events;
}

export function generate(scale: Scale, seed = 1): Dataset {
  const rnd = new Random(seed);
  const total = scale.shopACompanies + scale.shopBCompanies - scale.overlap;
  const universe = makeUniverse(rnd, { companies: total, personsPerCompany: scale.personsPerCompany, ...scale.people });
  const inA = universe.slice(0, scale.shopACompanies);
  const inB = universe.slice(scale.shopACompanies - scale.overlap);
  const t0 = new Date('2023-01-10T09:00:00Z');
  const a = shopACompanyRows(rnd, inA, { ...scale.store, deleteShare: scale.deleteShare }, t0);
  const b = shopBPartners(rnd, inB, scale.store, t0);

  const kafkaOnly = new Set(b.partners.filter(() => rnd.chance(scale.kafkaOnlyShare)).map((p) => p.partnerId));
  const deletedB = new Set(
    b.partners.filter((p) => !kafkaOnly.has(p.partnerId) && rnd.chance(scale.deleteShare)).map((p) => p.partnerId),
  );
  for (const id of deletedB) b.fates.get(id)!.fate.deleted = true;
  const events = kafkaFeed(rnd, b.partners, kafkaOnly, deletedB, new Date('2024-03-01T00:00:00Z'), scale.poisonShare);

  // The truth: a company is expected when some live record of it has a valid INN and the
  // register lets it pass; a person when some record of them hangs on such a company record.
  const byId = new Map(universe.map((c) => [c.id, c]));
  const liveValid = new Set<string>();
  const expectedCompanies = new Set<number>();
  for (const [id, f] of a.fates)
    if (f.fate.valid && !f.fate.deleted) {
      liveValid.add(sourceKey(SHOP_A, shopACompanyId(id)));
      expectedCompanies.add(f.trueId);
    }
  for (const [id, f] of b.fates)
    if (f.fate.valid && !f.fate.deleted) {
      liveValid.add(sourceKey(SHOP_B, shopBCompanyId(id)));
      expectedCompanies.add(f.trueId);
    }
  for (const id of [...expectedCompanies]) if (!passes(byId.get(id)!)) expectedCompanies.delete(id);

  const owners = new Map([...a.contactOwners, ...b.contactOwners]);
  const personCompany = new Map<number, TrueCompany>();
  for (const c of universe) for (const p of c.persons) personCompany.set(p.id, c);
  const expectedPersons = new Set<number>();
  for (const { personId, recordKey } of owners.values()) {
    if (liveValid.has(recordKey) && expectedCompanies.has(personCompany.get(personId)!.id))
      expectedPersons.add(personId);
  }

  const registry: Dataset['registry'] = {};
  for (const c of universe) {
    if (c.status === 'UNKNOWN') continue;
    registry[c.inn] = {
      status: c.status as Exclude<RegistryStatus, 'UNKNOWN'>,
      name: `${c.form} ${c.name}`,
      ogrn: c.ogrn,
      ...(c.kpps[0] ? { kpp: c.kpps[0] } : {}),
    };
  }

  return {
    shopA: { companies: a.companyRows, contacts: a.contactRows },
    shopB: { dump: b.partners.filter((p) => !kafkaOnly.has(p.partnerId)), events },
    registry,
    truth: {
      companies: [...expectedCompanies].map((id) => byId.get(id)!.inn).sort(),
      contacts: [...expectedPersons]
        .sort((x, y) => x - y)
        .map((personId) => ({ personId, inn: personCompany.get(personId)!.inn })),
      contactOwners: Object.fromEntries([...owners].map(([k, v]) => [k, v.personId])),
      contactRecords: Object.fromEntries(
        [...owners].map(([k, v]) => [
          k,
          { person: v.personId, inn: personCompany.get(v.personId)!.inn, live: liveValid.has(v.recordKey) },
        ]),
      ),
      companyRecords: Object.fromEntries(
        [
          ...[...a.fates].map(([id, f]) => [sourceKey(SHOP_A, shopACompanyId(id)), f] as const),
          ...[...b.fates].map(([id, f]) => [sourceKey(SHOP_B, shopBCompanyId(id)), f] as const),
        ].map(([k, f]) => [
          k,
          {
            realInn: byId.get(f.trueId)!.inn,
            inn: f.fate.inn,
            deleted: f.fate.deleted,
            register: byId.get(f.trueId)!.status,
          },
        ]),
      ),
      counts: {
        shopACompanies: a.companyRows.length,
        shopAContacts: a.contactRows.length,
        shopBPartners: b.partners.length,
        shopBContacts: b.partners.reduce((n, p) => n + p.contacts.length, 0),
        shopBDump: b.partners.length - kafkaOnly.size,
        kafkaEvents: events.length,
        expectedCompanies: expectedCompanies.size,
        expectedContacts: expectedPersons.size,
      },
    },
  };
}
