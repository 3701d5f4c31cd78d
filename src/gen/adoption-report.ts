/**
 * What became of the records people had entered (a CRM seed) after a run, read from the portal's
 * own tables: were they kept under their ids, linked by crm-unify, left with their comments and
 * owners, and did the run make twins — a second company for an INN or a second contact for a
 * seeded person. Nothing here knows what the loader meant to do; it counts what the portal holds.
 */
import type { CrmSeedResult } from '../sandbox/bitrix24/crm-seed.js';
import type { PortalStore, StoredEntity } from '../sandbox/bitrix24/store.js';
import type { SeedRole } from './crm-seed.js';

interface Before {
  id: number;
  comments: string | null;
  owner: string | null;
  originator: string | null;
  channels: string[];
}

/** The seeded records as they were before the run (taken right after the sandbox started). */
export interface SeedSnapshot {
  companies: Array<Before & { role: SeedRole['role']; inn: string }>;
  contacts: Before[];
}

export interface AdoptionReport {
  seeded: { companies: number; contacts: number; twins: number; invalidInn: number };
  /** Seeded records still in the portal under the same id. */
  kept: { companies: number; contacts: number };
  /** Seeded records that now carry an ORIGINATOR_ID (crm-unify linked them to a golden record). */
  linked: { companies: number; contacts: number };
  /** INNs held by more than one CRM company, not counting the seeded twins: expected 0. */
  innsWithTwins: number;
  /** Seeded contacts whose own phone or e-mail another CRM contact also holds: expected 0. */
  personTwins: number;
  /** Kept seeded companies and contacts whose COMMENTS / ASSIGNED_BY_ID differ from before the run: expected 0. */
  changed: { comments: number; owners: number };
}

const channelsOf = (r: StoredEntity): string[] => [
  ...(r.multi.PHONE ?? []).map((p) => `phone:${p.VALUE.replace(/\D/g, '')}`),
  ...(r.multi.EMAIL ?? []).map((e) => `email:${e.VALUE.trim().toLowerCase()}`),
];

function before(r: StoredEntity): Before {
  return {
    id: r.id,
    comments: r.fields.COMMENTS ?? null,
    owner: r.fields.ASSIGNED_BY_ID ?? null,
    originator: r.fields.ORIGINATOR_ID ?? null,
    channels: channelsOf(r),
  };
}

/** `seeded.companies[i]` and `roles[i]` describe the same company (both in seed file order). */
export function snapshotSeed(store: PortalStore, seeded: CrmSeedResult, roles: readonly SeedRole[]): SeedSnapshot {
  const snap: SeedSnapshot = { companies: [], contacts: [] };
  seeded.companies.forEach((c, i) => {
    const role = roles[i];
    const rec = store.get('company', c.id);
    if (!role || !rec) throw new Error(`seeded company ${i} (ID ${c.id}) has no role or no record`);
    snap.companies.push({ ...before(rec), role: role.role, inn: role.inn });
    for (const id of c.contactIds) snap.contacts.push(before(store.get('contact', id)!));
  });
  return snap;
}

export function adoptionReport(snap: SeedSnapshot, store: PortalStore): AdoptionReport {
  const report: AdoptionReport = {
    seeded: {
      companies: snap.companies.length,
      contacts: snap.contacts.length,
      twins: snap.companies.filter((c) => c.role === 'twin').length,
      invalidInn: snap.companies.filter((c) => c.role === 'invalidInn').length,
    },
    kept: { companies: 0, contacts: 0 },
    linked: { companies: 0, contacts: 0 },
    innsWithTwins: 0,
    personTwins: 0,
    changed: { comments: 0, owners: 0 },
  };
  for (const [kind, list] of [
    ['company', snap.companies],
    ['contact', snap.contacts],
  ] as const) {
    const key = kind === 'company' ? 'companies' : 'contacts';
    for (const b of list) {
      const now = store.get(kind, b.id);
      if (!now) continue;
      report.kept[key]++;
      if (!b.originator && now.fields.ORIGINATOR_ID) report.linked[key]++;
      if ((now.fields.COMMENTS ?? null) !== b.comments) report.changed.comments++;
      if ((now.fields.ASSIGNED_BY_ID ?? null) !== b.owner) report.changed.owners++;
    }
  }
  report.innsWithTwins = innsWithTwins(
    store,
    new Set(snap.companies.filter((c) => c.role === 'twin').map((c) => c.id)),
  );
  report.personTwins = personTwins(store, snap.contacts);
  return report;
}

function innsWithTwins(store: PortalStore, seededTwins: ReadonlySet<number>): number {
  const companies = new Map<string, Set<string>>();
  for (const rq of store.all('requisite')) {
    const inn = rq.fields.RQ_INN;
    const owner = rq.fields.ENTITY_ID;
    if (
      rq.fields.ENTITY_TYPE_ID !== '4' ||
      !inn ||
      !owner ||
      seededTwins.has(Number(owner)) ||
      !store.get('company', Number(owner))
    )
      continue;
    (companies.get(inn) ?? companies.set(inn, new Set()).get(inn)!).add(owner);
  }
  return [...companies.values()].filter((ids) => ids.size > 1).length;
}

function personTwins(store: PortalStore, seeded: readonly Before[]): number {
  const holders = new Map<string, number[]>();
  for (const c of store.all('contact'))
    for (const ch of channelsOf(c)) (holders.get(ch) ?? holders.set(ch, []).get(ch)!).push(c.id);
  return seeded.filter((b) => b.channels.some((ch) => (holders.get(ch) ?? []).some((id) => id !== b.id))).length;
}
