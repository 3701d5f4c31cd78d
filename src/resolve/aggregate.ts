import { createHash } from 'node:crypto';
import { contactLinkKey, pendingKey } from '../state/keys.js';
import type {
  CompanyContribution,
  ContactContribution,
  ContactLink,
  DeliveryStatus,
  GoldenCompanyState,
  GoldenContactState,
  MergedFrom,
} from '../state/records.js';
import { assignGoldenIds, connectedComponents, type PreviousGolden } from './cluster.js';
import { companyHash, contactHash, deliveryOf } from './delivery.js';
import { personalKeys, refineNameKeys, sharedChannels, sharedKeySet } from './match-keys.js';
import { joinPartialNames } from './partial-names.js';
import { buildCompanyRecord, buildContactRecord } from './survivorship.js';
import type { Tx } from './tx.js';

/**
 * A company and the contacts resolved within it, edited as one unit: contributions are set or
 * withdrawn, then `recompute` rebuilds the golden company, re-clusters all its contact records
 * (shared channels depend on the whole company, so clusters can grow, merge or split) and
 * writes only what changed.
 */

export interface GoldenRef {
  entity: 'company' | 'contact';
  id: string;
}

export interface AggregateResult {
  companyChanged: boolean;
  contacts: string[];
  pending: GoldenRef[];
  merges: Array<{ kept: string; merged: string[] }>;
}

export class CompanyAggregate {
  private readonly companyContribs: Map<string, CompanyContribution>;
  private readonly contactContribs = new Map<string, ContactContribution>();
  private readonly prevContacts = new Map<string, GoldenContactState>();
  private readonly prevAssign = new Map<string, PreviousGolden>();
  private readonly changed = new Set<string>();
  private companyTouched = false;

  private constructor(
    readonly inn: string,
    private readonly prev: GoldenCompanyState | undefined,
    contacts: ReadonlyArray<GoldenContactState | undefined>,
  ) {
    this.companyContribs = new Map(Object.entries(prev?.contributions ?? {}));
    for (const c of contacts) {
      if (!c) continue;
      this.prevContacts.set(c.id, c);
      for (const [k, contrib] of Object.entries(c.contributions)) {
        this.contactContribs.set(k, contrib);
        this.prevAssign.set(k, { id: c.id, seq: c.seq });
      }
    }
  }

  /** Reads the company and all its golden contacts (may throw NeedKeys). */
  static load(tx: Tx, inn: string): CompanyAggregate {
    const prev = tx.get('companies', inn);
    return new CompanyAggregate(inn, prev, prev ? tx.getMany('contacts', prev.contactIds) : []);
  }

  contact(key: string): ContactContribution | undefined {
    return this.contactContribs.get(key);
  }

  setCompany(key: string, c: CompanyContribution | null): void {
    this.companyTouched = true;
    if (c) this.companyContribs.set(key, c);
    else this.companyContribs.delete(key);
  }

  setContact(key: string, c: ContactContribution | null): void {
    this.changed.add(key);
    if (c) this.contactContribs.set(key, c);
    else this.contactContribs.delete(key);
  }

  recompute(tx: Tx): AggregateResult {
    const result: AggregateResult = { companyChanged: false, contacts: [], pending: [], merges: [] };
    // The company record depends on company contributions only: rebuild it only if they moved.
    const built =
      this.prev && !this.companyTouched
        ? this.prev.record
        : buildCompanyRecord(this.inn, [...this.companyContribs.values()]);
    if (!this.prev && !built && this.contactContribs.size === 0) return result;
    const active = built !== null;

    const contribs = [...this.contactContribs];
    const shared = sharedKeySet(
      sharedChannels(
        built?.phones ?? [],
        built?.emails ?? [],
        contribs.map(([, c]) => c.contact),
      ),
    );
    const keysOf = new Map<string, readonly string[]>();
    const items = refineNameKeys(contribs.map(([k, c]) => ({ id: k, keys: personalKeys(c.contact, shared) })));
    for (const { id, keys } of items) keysOf.set(id, [...keys].sort());
    const components = joinPartialNames(
      connectedComponents(items),
      (id) => keysOf.get(id)!,
      (id) => this.contactContribs.get(id)!.contact,
    );
    const assignment = assignGoldenIds(components, this.prevAssign, [...this.prevContacts.values()]);

    let nextSeq = this.prev?.nextContactSeq ?? 0;
    const kept: GoldenContactState[] = [];
    const retired: GoldenContactState[] = [];
    for (const comp of assignment.components) {
      let base = comp.id ? this.prevContacts.get(comp.id) : undefined;
      if (!base) {
        base = emptyContact(newContactId(this.inn, nextSeq), this.inn, nextSeq);
        nextSeq++;
      }
      const keys = unionKeys(comp.members, keysOf);
      if (this.unchanged(base, comp.members, comp.absorbed, active, keys)) {
        kept.push(base);
        continue;
      }
      const mergedFrom = new Map<string, MergedFrom>(base.mergedFrom.map((m) => [m.goldenId, m]));
      for (const a of comp.absorbed) {
        const gone = this.prevContacts.get(a)!;
        for (const m of gone.mergedFrom) mergedFrom.set(m.goldenId, m);
        mergedFrom.set(a, { goldenId: a, crmId: gone.synced?.crmId ?? null });
        retired.push(
          finish({
            ...gone,
            status: 'merged',
            mergedInto: base.id,
            mergedFrom: [],
            record: null,
            contributions: {},
            keys: [],
          }),
        );
        result.merges.push({ kept: base.id, merged: [a] });
      }
      const contributions = dict<ContactContribution>();
      const members: ContactContribution[] = [];
      for (const m of comp.members) {
        const c = this.contactContribs.get(m)!;
        contributions[m] = c;
        members.push(c);
      }
      const record = buildContactRecord(base.id, this.inn, members);
      kept.push(
        finish({
          ...base,
          status: active ? 'active' : 'deleted',
          mergedInto: null,
          mergedFrom: [...mergedFrom.values()].sort((a, b) => (a.goldenId < b.goldenId ? -1 : 1)),
          record,
          contributions,
          keys: keys as string[],
        }),
      );
    }
    for (const id of assignment.emptied) {
      const gone = this.prevContacts.get(id)!;
      retired.push(finish({ ...gone, status: 'deleted', record: null, contributions: {}, keys: [] }));
    }

    for (const s of [...kept, ...retired]) {
      const old = this.prevContacts.get(s.id);
      if (old && !this.contactChanged(old, s)) continue;
      tx.put('contacts', s.id, s);
      result.contacts.push(s.id);
      trackPending(tx, 'contact', s.id, old?.delivery, s.delivery, result);
      for (const m of Object.keys(s.contributions)) {
        // Only records that arrived now or changed golden contact: the others' links are right.
        if (this.changed.has(m) || this.prevAssign.get(m)?.id !== s.id) this.relink(tx, m, s.id);
      }
    }

    const company: GoldenCompanyState = {
      inn: this.inn,
      status: active ? 'active' : 'deleted',
      record: built,
      contributions: this.prev && !this.companyTouched ? this.prev.contributions : toDict(this.companyContribs),
      contactIds: kept.sort((a, b) => a.seq - b.seq).map((s) => s.id),
      nextContactSeq: nextSeq,
      hash: '',
      delivery: 'none',
      synced: this.prev?.synced ?? null,
    };
    // Same contributions, same status: the stored hash stands (hashing is a top cost per change).
    company.hash =
      this.prev && !this.companyTouched && this.prev.status === company.status ? this.prev.hash : companyHash(company);
    company.delivery = deliveryOf(company.status, company.hash, company.synced);
    const p = this.prev;
    if (
      !p ||
      this.companyTouched ||
      p.hash !== company.hash ||
      p.nextContactSeq !== company.nextContactSeq ||
      p.contactIds.join() !== company.contactIds.join() ||
      p.delivery !== company.delivery
    ) {
      tx.put('companies', this.inn, company);
      result.companyChanged = true;
      trackPending(tx, 'company', this.inn, p?.delivery, company.delivery, result);
    }
    return result;
  }

  /** Same members, none of them changed, same status and keys: the stored state stands as is. */
  private unchanged(
    base: GoldenContactState,
    members: readonly string[],
    absorbed: readonly string[],
    active: boolean,
    keys: readonly string[],
  ): boolean {
    if (absorbed.length || !this.prevContacts.has(base.id) || base.status !== (active ? 'active' : 'deleted'))
      return false;
    const old = Object.keys(base.contributions);
    if (old.length !== members.length || base.keys.length !== keys.length) return false;
    if (members.some((m) => this.changed.has(m) || base.contributions[m] === undefined)) return false;
    return keys.every((k, i) => base.keys[i] === k);
  }

  private contactChanged(old: GoldenContactState, s: GoldenContactState): boolean {
    if (old === s) return false;
    if (old.hash !== s.hash || old.status !== s.status || old.keys.join() !== s.keys.join()) return true;
    const members = Object.keys(s.contributions);
    if (members.length !== Object.keys(old.contributions).length) return true;
    return members.some((m) => this.changed.has(m) || old.contributions[m] === undefined);
  }

  /** Points a contact source record's link at its golden contact (after a merge, split or arrival). */
  private relink(tx: Tx, member: string, goldenId: string): void {
    const key = contactLinkKey(...splitContribution(member));
    const link = tx.get('links', key) as ContactLink | undefined;
    if (link && link.goldenId === goldenId && link.inn === this.inn) return;
    if (!link) return;
    tx.put('links', key, { ...link, goldenId, inn: this.inn });
  }
}

/**
 * A new golden contact id: from the company and its contact sequence number, which only grows
 * (persisted with the company), so it is unique without a look-up, and a rebuild from the same
 * input in the same order gives the ids the CRM already holds as ORIGIN_ID.
 */
export function newContactId(inn: string, seq: number): string {
  return `C${createHash('sha256').update(`${inn}|${seq}`).digest('hex').slice(0, 20)}`;
}

/**
 * A record keyed by source record (`<source>|<sourceId>`): every such object has keys no other
 * object has, so building it as an ordinary object makes V8 create a hidden class per key (a top
 * cost in the benchmark profile); a null-prototype object is a plain hash table from the start.
 * It serializes to the same JSON, and a stored one reads back as an ordinary object.
 */
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function toDict<T>(m: ReadonlyMap<string, T>): Record<string, T> {
  const o = dict<T>();
  for (const [k, v] of m) o[k] = v;
  return o;
}

/** Sorted union of the members' (sorted) keys; a single member's list as it is. */
function unionKeys(members: readonly string[], keysOf: ReadonlyMap<string, readonly string[]>): readonly string[] {
  if (members.length === 1) return keysOf.get(members[0]!)!;
  const set = new Set<string>();
  for (const m of members) for (const k of keysOf.get(m)!) set.add(k);
  return [...set].sort();
}

function splitContribution(key: string): [string, string] {
  const i = key.indexOf('|');
  return [key.slice(0, i), key.slice(i + 1)];
}

function emptyContact(id: string, inn: string, seq: number): GoldenContactState {
  return {
    id,
    inn,
    seq,
    status: 'active',
    mergedInto: null,
    mergedFrom: [],
    record: null,
    contributions: {},
    keys: [],
    hash: '',
    delivery: 'none',
    synced: null,
  };
}

/** Fills hash and delivery from the rest of the state. */
function finish(s: GoldenContactState): GoldenContactState {
  // Spread from a state an older release wrote, it would carry a stored provenance that is no
  // longer kept up to date (`state migrate` drops it everywhere at once).
  if ('provenance' in s) delete (s as { provenance?: unknown }).provenance;
  s.hash = contactHash(s);
  s.delivery = deliveryOf(s.status, s.hash, s.synced);
  return s;
}

function trackPending(
  tx: Tx,
  entity: 'company' | 'contact',
  id: string,
  before: DeliveryStatus | undefined,
  after: DeliveryStatus,
  result: AggregateResult,
): void {
  if (after === 'pending') result.pending.push({ entity, id });
  if (before === after) return;
  if (after === 'pending') tx.put('pending', pendingKey(entity, id), { entity, id });
  else if (before === 'pending') tx.del('pending', pendingKey(entity, id));
}
