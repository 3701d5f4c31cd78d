// The chaos suite's verifier, after the final `--once` run (Kafka Connect's missing/extra check,
// Jepsen's lost-write and duplicate checks, applied to a CRM):
//  1. the CRM holds every expected golden company and contact exactly once — by ORIGIN_ID, and
//     companies also by INN through their requisites' RQ_INN — and nothing else;
//  2. every source record of the dataset is accounted for in the state store: it feeds a golden
//     record (loaded or merged), is a delete, or was rejected with a reason;
//  3. no source position is ahead of synced state: nothing is pending, the Kafka group's committed
//     offsets equal the end offsets, the full extract and the dump are finished;
//  4. rows updated during the run reached the CRM;
//  5. every reject says the reason the generator's dirt calls for (expectedRejectReasons), and
//     every record whose dirt calls for one was rejected.
// It returns problems (empty = pass) and figures for RELIABILITY.md; it asserts nothing itself.
import type { Admin } from 'kafkajs';
import type { Dataset } from '../../src/gen/dataset.js';
import {
  SHOP_A,
  SHOP_B,
  shopACompanyId,
  shopAContactId,
  shopBCompanyId,
  shopBContactId,
} from '../../src/mappers/source-ids.js';
import type { PortalStore, StoredEntity } from '../../src/sandbox/bitrix24/index.js';
import { companyLinkKey, contactLinkKey, contributionKey } from '../../src/state/keys.js';
import type { RejectReason } from '../../src/model/reject-reasons.js';
import type { ContactLink, GoldenCompanyState, GoldenContactState, Reject } from '../../src/state/records.js';
import type { StateStore } from '../../src/state/store.js';

const ORIGINATOR = 'crm-unify';

/** Rows the chaos run changed in Shop A (non-identity fields, so the truth stays as generated). */
export interface RowUpdates {
  /** companies.id → the address written. */
  companyAddress: Map<number, string>;
  /** contacts.id → the position written. */
  contactPosition: Map<number, string>;
}

export interface VerifyInput {
  ds: Dataset;
  portal: PortalStore;
  /** The state store, opened after the final run exited. */
  store: StateStore;
  kafka: { admin: Admin; topic: string; groupId: string };
  updates: RowUpdates;
  /** Shop A source name (MySQL position keys). */
  shopAName?: string;
}

export interface VerifyFigures {
  crm: { companies: number; contacts: number; requisites: number; bankDetails: number };
  expected: { companies: number; contacts: number };
  duplicates: {
    companiesByOriginId: number;
    companiesByInn: number;
    contactsByOriginId: number;
    contactsByPerson: number;
    requisitesByXmlId: number;
    bankDetailsByXmlId: number;
  };
  missing: { companies: number; contacts: number };
  extra: { companies: number; contacts: number };
  sourceRecords: { total: number; loadedOrMerged: number; deleted: number; rejected: number; unaccounted: number };
  rejects: { total: number; byReason: Record<string, number>; poisonPositions: number };
  kafka: { committed: Record<string, string>; end: Record<string, string> };
  updates: { companiesChecked: number; contactsChecked: number };
  /** Rejects against the dirt: records that must be rejected, those rejected with that reason, and the faults. */
  rejectReasons: {
    expected: number;
    matched: number;
    wrongReason: number;
    unexpected: number;
    missing: number;
    byExpectedReason: Record<string, number>;
  };
}

export interface VerifyReport {
  ok: boolean;
  problems: string[];
  figures: VerifyFigures;
}

const sample = (xs: Iterable<string>, n = 10): string => {
  const all = [...xs];
  return `${all.slice(0, n).join(', ')}${all.length > n ? `, … (${all.length} in all)` : ''}`;
};

function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

const field = (e: StoredEntity, name: string): string => String(e.fields[name] ?? '');

/** The store a reject's source belongs to: `shop-a.companies`, `shop-b.dump`, the topic, … */
function storeOfReject(r: Reject, topic: string): string | undefined {
  if (r.source.startsWith(SHOP_A)) return SHOP_A;
  if (r.source.startsWith(SHOP_B) || r.source === topic) return SHOP_B;
  return undefined;
}

/** Every source record id of the dataset, as `<store>|<sourceId>` (mapper ids), with its kind. */
export function datasetSourceRecords(ds: Dataset): { companies: Set<string>; contacts: Map<string, string> } {
  const companies = new Set<string>();
  /** contact key → key of the company record it belongs to (for Shop B, rejected with its partner). */
  const contacts = new Map<string, string>();
  for (const c of ds.shopA.companies) companies.add(contributionKey(SHOP_A, shopACompanyId(c.id)));
  for (const c of ds.shopA.contacts)
    contacts.set(
      contributionKey(SHOP_A, shopAContactId(c.id)),
      c.company_id === null ? '' : contributionKey(SHOP_A, shopACompanyId(c.company_id)),
    );
  const partners: { partnerId: string; contacts?: { contactId: string }[] }[] = [...ds.shopB.dump];
  for (const e of ds.shopB.events) {
    try {
      const ev = JSON.parse(e.value) as {
        type?: string;
        partner?: { partnerId?: unknown; contacts?: { contactId: string }[] };
      };
      if (typeof ev.partner?.partnerId === 'string' && (ev.type === 'PARTNER_UPSERT' || ev.type === 'PARTNER_DELETE')) {
        partners.push({
          partnerId: ev.partner.partnerId,
          ...(ev.partner.contacts ? { contacts: ev.partner.contacts } : {}),
        });
      }
    } catch {
      // poison: accounted for by position, below
    }
  }
  for (const p of partners) {
    const key = contributionKey(SHOP_B, shopBCompanyId(p.partnerId));
    companies.add(key);
    for (const c of p.contacts ?? [])
      contacts.set(contributionKey(SHOP_B, shopBContactId(p.partnerId, c.contactId)), key);
  }
  return { companies, contacts };
}

/**
 * The reject reason the generator's dirt calls for, per source record (`<store>|<sourceId>`), from
 * the truth alone: a company record's INN left empty → MISSING_INN, a digit changed →
 * INVALID_INN, its company unknown to the register → EGRUL_NOT_FOUND, liquidating / liquidated /
 * bankrupt → EGRUL_NOT_ACTIVE; a Shop A contact without a company → COMPANY_UNKNOWN, one whose
 * company record is rejected → COMPANY_REJECTED. `required`: the record was read as an upsert, so
 * the reject must exist (a Shop A row deleted from the start is only ever a delete).
 */
export function expectedRejectReasons(ds: Dataset): Map<string, { reason: RejectReason; required: boolean }> {
  const out = new Map<string, { reason: RejectReason; required: boolean }>();
  for (const [key, r] of Object.entries(ds.truth.companyRecords)) {
    const reason: RejectReason | undefined =
      r.inn === 'missing'
        ? 'MISSING_INN'
        : r.inn === 'invalid'
          ? 'INVALID_INN'
          : r.register === 'UNKNOWN'
            ? 'EGRUL_NOT_FOUND'
            : r.register === 'ACTIVE' || r.register === 'REORGANIZING'
              ? undefined
              : 'EGRUL_NOT_ACTIVE';
    if (reason) out.set(key, { reason, required: !(key.startsWith(`${SHOP_A}|`) && r.deleted) });
  }
  for (const c of ds.shopA.contacts) {
    const key = contributionKey(SHOP_A, shopAContactId(c.id));
    if (c.company_id === null) out.set(key, { reason: 'COMPANY_UNKNOWN', required: true });
    else if (out.has(contributionKey(SHOP_A, shopACompanyId(c.company_id))))
      out.set(key, { reason: 'COMPANY_REJECTED', required: true });
  }
  return out;
}

/** Kafka events of the dataset that are not valid events (not JSON, or failing the schema on partnerId). */
export function poisonEvents(ds: Dataset): number {
  let n = 0;
  for (const e of ds.shopB.events) {
    try {
      const ev = JSON.parse(e.value) as { partner?: { partnerId?: unknown } };
      if (typeof ev.partner?.partnerId !== 'string') n++;
    } catch {
      n++;
    }
  }
  return n;
}

export async function verifyChaosOutcome(input: VerifyInput): Promise<VerifyReport> {
  const { ds, portal, store, updates } = input;
  const { truth } = ds;
  const problems: string[] = [];
  const problem = (s: string) => problems.push(s);

  // --- 1. The CRM: companies, exactly once, nothing extra ---------------------------------------
  const allCompanies = portal.all('company');
  const companies = allCompanies.filter((c) => field(c, 'ORIGINATOR_ID') === ORIGINATOR);
  if (companies.length !== allCompanies.length)
    problem(`${allCompanies.length - companies.length} CRM companies without ORIGINATOR_ID=${ORIGINATOR}`);
  const byOrigin = countBy(companies, (c) => field(c, 'ORIGIN_ID'));
  const dupCompanies = [...byOrigin].filter(([, l]) => l.length > 1);
  if (dupCompanies.length)
    problem(
      `companies created more than once (ORIGIN_ID ×n): ${sample(dupCompanies.map(([k, l]) => `${k}×${l.length}`))}`,
    );
  const expectedCompanies = new Set(truth.companies);
  const missingCompanies = [...expectedCompanies].filter((inn) => !byOrigin.has(inn));
  const extraCompanies = [...byOrigin.keys()].filter((inn) => !expectedCompanies.has(inn));
  if (missingCompanies.length) problem(`expected companies missing from the CRM: ${sample(missingCompanies)}`);
  if (extraCompanies.length) problem(`companies in the CRM that the truth does not expect: ${sample(extraCompanies)}`);

  // By INN through requisites: one company per RQ_INN, and every company's requisites carry its own INN only.
  const companyById = new Map(companies.map((c) => [String(c.id), c]));
  const requisites = portal.all('requisite');
  const requisitesOfCompanies = requisites.filter((r) => companyById.has(field(r, 'ENTITY_ID')));
  if (requisitesOfCompanies.length !== requisites.length)
    problem(`${requisites.length - requisitesOfCompanies.length} requisites hang on no loaded company`);
  const companiesByInn = new Map<string, Set<string>>();
  for (const r of requisitesOfCompanies) {
    const set = companiesByInn.get(field(r, 'RQ_INN')) ?? new Set<string>();
    set.add(field(r, 'ENTITY_ID'));
    companiesByInn.set(field(r, 'RQ_INN'), set);
  }
  const dupByInn = [...companiesByInn].filter(([, s]) => s.size > 1);
  if (dupByInn.length)
    problem(
      `INNs carried by more than one CRM company: ${sample(dupByInn.map(([inn, s]) => `${inn}→${[...s].join('/')}`))}`,
    );
  for (const c of companies) {
    const inns = new Set(
      requisitesOfCompanies.filter((r) => field(r, 'ENTITY_ID') === String(c.id)).map((r) => field(r, 'RQ_INN')),
    );
    if (inns.size !== 1 || !inns.has(field(c, 'ORIGIN_ID')))
      problem(`company ${c.id} (ORIGIN_ID ${field(c, 'ORIGIN_ID')}) has requisite INNs [${[...inns].join(', ')}]`);
  }
  const dupRequisites = [...countBy(requisites, (r) => field(r, 'XML_ID'))].filter(([, l]) => l.length > 1);
  if (dupRequisites.length)
    problem(`requisites created more than once (XML_ID): ${sample(dupRequisites.map(([k, l]) => `${k}×${l.length}`))}`);
  const bankDetails = portal.all('bankdetail');
  const dupBanks = [...countBy(bankDetails, (b) => field(b, 'XML_ID'))].filter(([, l]) => l.length > 1);
  if (dupBanks.length)
    problem(`bank details created more than once (XML_ID): ${sample(dupBanks.map(([k, l]) => `${k}×${l.length}`))}`);

  // --- 1b. Contacts: exactly once per real person, under the right company ----------------------
  const allContacts = portal.all('contact');
  const contacts = allContacts.filter((c) => field(c, 'ORIGINATOR_ID') === ORIGINATOR);
  if (contacts.length !== allContacts.length)
    problem(`${allContacts.length - contacts.length} CRM contacts without ORIGINATOR_ID=${ORIGINATOR}`);
  const contactsByOrigin = countBy(contacts, (c) => field(c, 'ORIGIN_ID'));
  const dupContacts = [...contactsByOrigin].filter(([, l]) => l.length > 1);
  if (dupContacts.length)
    problem(
      `contacts created more than once (ORIGIN_ID ×n): ${sample(dupContacts.map(([k, l]) => `${k}×${l.length}`))}`,
    );
  const golden = new Map<string, GoldenContactState>();
  for await (const [id, c] of store.iterate('contacts')) golden.set(id, c);
  const personInn = new Map(truth.contacts.map((p) => [p.personId, p.inn]));
  const crmContactsByPerson = new Map<number, string[]>();
  for (const c of contacts) {
    const g = golden.get(field(c, 'ORIGIN_ID'));
    if (!g || g.status !== 'active') {
      problem(
        `CRM contact ${c.id} (ORIGIN_ID ${field(c, 'ORIGIN_ID')}) is ${g ? g.status : 'unknown'} in the state store`,
      );
      continue;
    }
    const persons = new Set<number>();
    for (const key of Object.keys(g.contributions)) {
      const person = truth.contactOwners[key];
      if (person !== undefined) persons.add(person);
    }
    if (persons.size !== 1)
      problem(`CRM contact ${c.id} (${g.id}) stands for ${persons.size} real persons [${[...persons].join(', ')}]`);
    for (const p of persons) crmContactsByPerson.set(p, [...(crmContactsByPerson.get(p) ?? []), String(c.id)]);
    const company = companyById.get(field(c, 'COMPANY_ID'));
    if (!company)
      problem(
        `CRM contact ${c.id} (${g.id}) points at company ${field(c, 'COMPANY_ID')}, which is not a loaded company`,
      );
    else if (field(company, 'ORIGIN_ID') !== g.inn)
      problem(`CRM contact ${c.id} (${g.id}, INN ${g.inn}) hangs on company ${field(company, 'ORIGIN_ID')}`);
  }
  const dupPersons = [...crmContactsByPerson].filter(([, l]) => l.length > 1);
  if (dupPersons.length)
    problem(
      `real persons with more than one CRM contact: ${sample(dupPersons.map(([p, l]) => `${p}→${l.join('/')}`))}`,
    );
  const missingPersons = truth.contacts
    .filter((p) => !crmContactsByPerson.has(p.personId))
    .map((p) => `${p.personId}@${p.inn}`);
  const extraPersons = [...crmContactsByPerson.keys()].filter((p) => !personInn.has(p)).map(String);
  if (missingPersons.length) problem(`expected contacts missing from the CRM: ${sample(missingPersons)}`);
  if (extraPersons.length) problem(`CRM contacts of persons the truth does not expect: ${sample(extraPersons)}`);
  if (contacts.length !== truth.counts.expectedContacts)
    problem(`CRM holds ${contacts.length} contacts, the truth expects ${truth.counts.expectedContacts}`);

  // --- 2. Every source record accounted for -----------------------------------------------------
  const rejected = new Set<string>();
  const byReason: Record<string, number> = {};
  const poisonPositions = new Set<string>();
  let rejectsTotal = 0;
  // --- 5. (with 2) Each reject's reason against the dirt -----------------------------------------
  const expectedReasons = expectedRejectReasons(ds);
  const wrongReason: string[] = [];
  const unexpectedRejects: string[] = [];
  const rejectedAsExpected = new Set<string>();
  for await (const [, r] of store.iterate('rejects')) {
    rejectsTotal++;
    byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    const s = storeOfReject(r, input.kafka.topic);
    if (r.sourceId !== null && s) rejected.add(contributionKey(s, r.sourceId));
    if (r.sourceId === null && r.source === input.kafka.topic) poisonPositions.add(r.position);
    // Poison messages name no partner: the only reason they can get is MALFORMED_RECORD.
    if (r.sourceId === null || !s) {
      if (r.source !== input.kafka.topic || r.reason !== 'MALFORMED_RECORD')
        unexpectedRejects.push(`${r.source}@${r.position} ${r.reason} (no source record)`);
      continue;
    }
    const key = contributionKey(s, r.sourceId);
    const want = expectedReasons.get(key);
    if (!want) unexpectedRejects.push(`${key} ${r.reason}: ${r.detail}`);
    else if (want.reason !== r.reason)
      wrongReason.push(`${key} ${r.reason} (the data calls for ${want.reason}): ${r.detail}`);
    else rejectedAsExpected.add(key);
  }
  const missingRejects = [...expectedReasons]
    .filter(([k, w]) => w.required && !rejectedAsExpected.has(k))
    .map(([k, w]) => `${k} (${w.reason})`);
  if (wrongReason.length) problem(`rejects with another reason than the data's dirt calls for: ${sample(wrongReason)}`);
  if (unexpectedRejects.length) problem(`rejects of records whose data is clean: ${sample(unexpectedRejects)}`);
  if (missingRejects.length)
    problem(`records whose dirt calls for a reject, not rejected so: ${sample(missingRejects)}`);
  const byExpectedReason: Record<string, number> = {};
  for (const [, w] of expectedReasons)
    if (w.required) byExpectedReason[w.reason] = (byExpectedReason[w.reason] ?? 0) + 1;
  const goldenCompanies = new Map<string, GoldenCompanyState>();
  for await (const [inn, c] of store.iterate('companies')) goldenCompanies.set(inn, c);
  const records = datasetSourceRecords(ds);
  const tally = { total: 0, loadedOrMerged: 0, deleted: 0, rejected: 0, unaccounted: 0 };
  const unaccounted: string[] = [];
  for (const key of records.companies) {
    tally.total++;
    const [source, ...rest] = key.split('|');
    const link = await store.get('links', companyLinkKey(source!, rest.join('|')));
    if (link && link.entity === 'company' && link.deleted) tally.deleted++;
    else if (
      link &&
      link.entity === 'company' &&
      link.inn !== null &&
      goldenCompanies.get(link.inn)?.contributions[key]
    )
      tally.loadedOrMerged++;
    else if (rejected.has(key)) tally.rejected++;
    else {
      tally.unaccounted++;
      unaccounted.push(key);
    }
  }
  const resolveGolden = (id: string | null): GoldenContactState | undefined => {
    let g = id === null ? undefined : golden.get(id);
    for (let hops = 0; g && g.status === 'merged' && g.mergedInto && hops < 100; hops++) g = golden.get(g.mergedInto);
    return g;
  };
  /** A contact whose company record was deleted at the source goes with it. */
  const companyDeleted = async (companyKey: string): Promise<boolean> => {
    const [source, ...rest] = companyKey.split('|');
    const link = await store.get('links', companyLinkKey(source!, rest.join('|')));
    return link?.entity === 'company' && link.deleted;
  };
  for (const [key, companyKey] of records.contacts) {
    tally.total++;
    const [source, ...rest] = key.split('|');
    const link = (await store.get('links', contactLinkKey(source!, rest.join('|')))) as ContactLink | undefined;
    const g = resolveGolden(link?.goldenId ?? null);
    if (link?.deleted) tally.deleted++;
    else if (link && !link.parked && g?.contributions[key]) tally.loadedOrMerged++;
    else if (rejected.has(key) || (source === SHOP_B && rejected.has(companyKey))) tally.rejected++;
    else if (companyKey && (await companyDeleted(companyKey))) tally.deleted++;
    else {
      tally.unaccounted++;
      unaccounted.push(key);
    }
  }
  if (unaccounted.length)
    problem(`source records neither loaded, merged, deleted nor rejected: ${sample(unaccounted)}`);
  const poison = poisonEvents(ds);
  if (poisonPositions.size < poison)
    problem(`${poison} poison messages on the topic, only ${poisonPositions.size} rejected`);

  // --- 3. No position ahead of synced state -----------------------------------------------------
  let pending = 0;
  for await (const [k] of store.iterate('pending')) {
    pending++;
    if (pending <= 10) problem(`still pending after the final run: ${k}`);
  }
  for (const [inn, c] of goldenCompanies) if (c.delivery === 'pending') problem(`golden company ${inn} is pending`);
  for (const [id, c] of golden) if (c.delivery === 'pending') problem(`golden contact ${id} is pending`);
  const { admin, topic, groupId } = input.kafka;
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = Object.fromEntries((offsets?.partitions ?? []).map((p) => [String(p.partition), p.offset]));
  const end = Object.fromEntries(ends.map((p) => [String(p.partition), p.high]));
  for (const [p, high] of Object.entries(end)) {
    if (committed[p] !== high)
      problem(`Kafka group ${groupId} partition ${p}: committed ${committed[p]} ≠ end ${high}`);
  }
  const name = input.shopAName ?? SHOP_A;
  for (const table of ['companies', 'contacts']) {
    const v = await store.get('positions', `mysql/${name}/${table}/full`);
    if (v !== 'done') problem(`Shop A full extract of ${table} ends at position ${String(v)}, not done`);
  }

  // --- 4. Updated rows reached the CRM ----------------------------------------------------------
  let companiesChecked = 0;
  const updatedByInn = new Map<string, Set<string>>();
  for (const [id, address] of updates.companyAddress) {
    const link = await store.get('links', companyLinkKey(SHOP_A, shopACompanyId(id)));
    if (!link || link.entity !== 'company' || link.inn === null || link.deleted || !expectedCompanies.has(link.inn))
      continue;
    updatedByInn.set(link.inn, (updatedByInn.get(link.inn) ?? new Set()).add(address));
  }
  for (const [inn, addresses] of updatedByInn) {
    companiesChecked++;
    const crm = byOrigin.get(inn)?.[0];
    const got = crm ? field(crm, 'ADDRESS') : '(no company)';
    if (!addresses.has(got))
      problem(`company ${inn}: Shop A row updated to address ${sample(addresses)}, CRM has "${got}"`);
  }
  let contactsChecked = 0;
  const updatedByGolden = new Map<string, Set<string>>();
  for (const [id, position] of updates.contactPosition) {
    const link = (await store.get('links', contactLinkKey(SHOP_A, shopAContactId(id)))) as ContactLink | undefined;
    if (!link || link.deleted || link.parked) continue;
    const g = resolveGolden(link.goldenId);
    if (!g || g.status !== 'active' || !contactsByOrigin.has(g.id)) continue;
    updatedByGolden.set(g.id, (updatedByGolden.get(g.id) ?? new Set()).add(position));
  }
  for (const [gid, positions] of updatedByGolden) {
    contactsChecked++;
    const got = field(contactsByOrigin.get(gid)![0]!, 'POST');
    if (!positions.has(got))
      problem(`contact ${gid}: Shop A row updated to position ${sample(positions)}, CRM has "${got}"`);
  }

  return {
    ok: problems.length === 0,
    problems,
    figures: {
      crm: {
        companies: companies.length,
        contacts: contacts.length,
        requisites: requisites.length,
        bankDetails: bankDetails.length,
      },
      expected: { companies: truth.counts.expectedCompanies!, contacts: truth.counts.expectedContacts! },
      duplicates: {
        companiesByOriginId: dupCompanies.length,
        companiesByInn: dupByInn.length,
        contactsByOriginId: dupContacts.length,
        contactsByPerson: dupPersons.length,
        requisitesByXmlId: dupRequisites.length,
        bankDetailsByXmlId: dupBanks.length,
      },
      missing: { companies: missingCompanies.length, contacts: missingPersons.length },
      extra: { companies: extraCompanies.length, contacts: extraPersons.length },
      sourceRecords: tally,
      rejects: { total: rejectsTotal, byReason, poisonPositions: poisonPositions.size },
      kafka: { committed, end },
      updates: { companiesChecked, contactsChecked },
      rejectReasons: {
        expected: [...expectedReasons.values()].filter((w) => w.required).length,
        matched: rejectedAsExpected.size,
        wrongReason: wrongReason.length,
        unexpected: unexpectedRejects.length,
        missing: missingRejects.length,
        byExpectedReason,
      },
    },
  };
}
