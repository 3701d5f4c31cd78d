import type { CanonicalChange, Company, Contact, RejectReason } from '../model/index.js';
import { rejectOps } from '../state/helpers.js';
import { companyLinkKey, contactLinkKey, contributionKey } from '../state/keys.js';
import type { CompanyLink, ContactContribution, ContactLink } from '../state/records.js';
import { CompanyAggregate, type GoldenRef } from './aggregate.js';
import type { Tx } from './tx.js';

/**
 * Applies one canonical change to the state, synchronously, on a Tx (reads may throw NeedKeys:
 * the caller loads and calls again). Source records are tracked by their links; a version older
 * than the one already seen (a delete included) is stale and changes nothing, so arrival order
 * does not matter. Contacts whose company source record is not known yet are parked on their
 * link and attached when that company arrives.
 */

export interface ChangePosition {
  /** `partition@offset` of the source record: kept in provenance and rejects. */
  ref: string;
  /** When given, this resume point is written in the same batch as the state it produced. */
  commit?: { source: string; partition: string; resume: string };
}

export type ResolveOutcome = 'applied' | 'unchanged' | 'stale' | 'parked' | 'rejected';

export interface ResolveResult {
  outcome: ResolveOutcome;
  reason?: RejectReason;
  /** Golden companies (INNs) whose stored state changed. */
  companies: string[];
  /** Golden contacts whose stored state changed (kept, created, merged away or deleted). */
  contacts: string[];
  /** Golden records now waiting for the CRM. */
  pending: GoldenRef[];
  /** Golden contacts merged by this change: `merged` became `merged_into` `kept`. */
  merges: Array<{ kept: string; merged: string[] }>;
}

/** Newer by source change time; an unknown time (a placeholder link) is never newer. */
function newer(a: string, b: string): boolean {
  return Date.parse(a) > Date.parse(b);
}

class Session {
  private readonly aggs = new Map<string, CompanyAggregate>();
  constructor(
    readonly tx: Tx,
    readonly pos: ChangePosition,
    readonly now: string,
  ) {}

  agg(inn: string): CompanyAggregate {
    let a = this.aggs.get(inn);
    if (!a) this.aggs.set(inn, (a = CompanyAggregate.load(this.tx, inn)));
    return a;
  }

  companyLink(key: string): CompanyLink | undefined {
    const l = this.tx.get('links', key);
    return l?.entity === 'company' ? l : undefined;
  }

  contactLink(key: string): ContactLink | undefined {
    const l = this.tx.get('links', key);
    return l?.entity === 'contact' ? l : undefined;
  }

  /** The contact's current contribution, wherever it sits (attached or parked). */
  current(link: ContactLink | undefined, ckey: string): ContactContribution | undefined {
    if (!link || link.deleted) return undefined;
    if (link.parked) return link.parked;
    return link.inn ? this.agg(link.inn).contact(ckey) : undefined;
  }

  /** Takes the contact's contribution out of the golden company it is attached to. */
  detach(link: ContactLink | undefined, ckey: string, unlessInn?: string | null): void {
    if (link && !link.deleted && !link.parked && link.inn && link.inn !== unlessInn)
      this.agg(link.inn).setContact(ckey, null);
  }

  /** Attaches a contribution to `inn`, or parks it on the link when the company is unknown. */
  place(
    lkey: string,
    link: ContactLink | undefined,
    contrib: ContactContribution,
    inn: string | null,
    version: string = contrib.contact.changedAt,
  ): void {
    const ckey = contributionKey(contrib.contact.source, contrib.contact.sourceId);
    this.detach(link, ckey, inn);
    if (inn) this.agg(inn).setContact(ckey, contrib);
    this.tx.put('links', lkey, {
      entity: 'contact',
      inn,
      goldenId: inn && link?.inn === inn ? link.goldenId : null,
      companyKey: contrib.companyKey,
      changedAt: version,
      deleted: false,
      parked: inn ? null : contrib,
    });
  }

  /** Withdraws a contact source record (deleted, or dropped from its company's newer version). */
  withdraw(lkey: string, link: ContactLink, ckey: string, changedAt: string): void {
    this.detach(link, ckey);
    this.tx.put('links', lkey, { ...link, goldenId: null, changedAt, deleted: true, parked: null });
  }

  /** Keeps a company link's contact list in step when a contact names another company. */
  relinkCompany(lkey: string, from: string | null, to: string | null): void {
    if (from === to) return;
    if (from) {
      const l = this.companyLink(from);
      if (l) this.tx.put('links', from, { ...l, contacts: l.contacts.filter((c) => c !== lkey) });
    }
    if (to) {
      const l = this.companyLink(to) ?? { entity: 'company', inn: null, changedAt: '', deleted: false, contacts: [] };
      if (!l.contacts.includes(lkey)) this.tx.put('links', to, { ...l, contacts: [...l.contacts, lkey].sort() });
    }
  }

  finish(outcome: ResolveOutcome): ResolveResult {
    const result: ResolveResult = { outcome, companies: [], contacts: [], pending: [], merges: [] };
    for (const [inn, agg] of [...this.aggs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const r = agg.recompute(this.tx);
      if (r.companyChanged) result.companies.push(inn);
      result.contacts.push(...r.contacts);
      result.pending.push(...r.pending);
      result.merges.push(...r.merges);
    }
    if (outcome === 'applied' && result.pending.length === 0 && result.merges.length === 0)
      result.outcome = 'unchanged';
    return result;
  }
}

export function applyChange(tx: Tx, change: CanonicalChange, pos: ChangePosition, now: string): ResolveResult {
  const s = new Session(tx, pos, now);
  switch (change.kind) {
    case 'company':
      return applyCompany(s, change.company, change.contacts);
    case 'contact':
      return applyContact(s, change.contact);
    case 'delete':
      return change.entity === 'company'
        ? deleteCompany(s, change.source, change.sourceId, change.changedAt)
        : deleteContact(s, change.source, change.sourceId, change.changedAt);
  }
}

function applyCompany(s: Session, co: Company, embedded: readonly Contact[]): ResolveResult {
  const lkey = companyLinkKey(co.source, co.sourceId);
  const link = s.companyLink(lkey);
  if (link && newer(link.changedAt, co.changedAt)) return s.finish('stale');
  const inn = co.requisite.inn;
  const ckey = contributionKey(co.source, co.sourceId);
  if (link?.inn && link.inn !== inn) s.agg(link.inn).setCompany(ckey, null);
  s.agg(inn).setCompany(ckey, { company: co, position: s.pos.ref });

  const fresh = new Map(embedded.map((c) => [contactLinkKey(c.source, c.sourceId), c]));
  const linked = new Set([...(link?.contacts ?? []), ...fresh.keys()]);
  for (const ck of [...linked].sort()) {
    const clink = s.contactLink(ck);
    const c = fresh.get(ck);
    const contribKey = ck.slice(3);
    if (c) {
      // A contact inside a company record is versioned by that record too (a partner event is one unit).
      const version = newer(c.changedAt, co.changedAt) ? c.changedAt : co.changedAt;
      if (clink && newer(clink.changedAt, version)) continue;
      if (clink?.companyKey && clink.companyKey !== lkey) s.relinkCompany(ck, clink.companyKey, null);
      s.place(ck, clink, { contact: c, position: s.pos.ref, via: 'company', companyKey: lkey }, inn, version);
      continue;
    }
    const cur = s.current(clink, contribKey);
    if (!clink || !cur) continue;
    if (cur.via === 'company') {
      // A newer version of the company no longer lists it: that is how Shop B removes a contact.
      if (!newer(clink.changedAt, co.changedAt)) {
        s.withdraw(ck, clink, contribKey, co.changedAt);
        linked.delete(ck);
      }
    } else if (clink.parked || clink.inn !== inn) {
      s.place(ck, clink, cur, inn);
    }
  }
  s.tx.put('links', lkey, {
    entity: 'company',
    inn,
    changedAt: co.changedAt,
    deleted: false,
    contacts: [...linked].sort(),
  });
  return s.finish('applied');
}

function applyContact(s: Session, c: Contact): ResolveResult {
  const lkey = contactLinkKey(c.source, c.sourceId);
  const link = s.contactLink(lkey);
  if (link && newer(link.changedAt, c.changedAt)) return s.finish('stale');
  const ckey = contributionKey(c.source, c.sourceId);
  if (!c.company) {
    // Contact identity is resolved within a company: without one there is nothing to resolve against.
    s.detach(link, ckey);
    s.relinkCompany(lkey, link?.companyKey ?? null, null);
    s.tx.put('links', lkey, {
      entity: 'contact',
      inn: null,
      goldenId: null,
      companyKey: null,
      changedAt: c.changedAt,
      deleted: false,
      parked: null,
    });
    for (const op of rejectOps({
      reason: 'COMPANY_UNKNOWN',
      detail: 'contact has no company',
      source: c.source,
      sourceId: c.sourceId,
      position: s.pos.ref,
      at: s.now,
    }))
      s.tx.apply(op);
    return { ...s.finish('rejected'), outcome: 'rejected', reason: 'COMPANY_UNKNOWN' };
  }
  const ckCompany = companyLinkKey(c.company.source, c.company.sourceId);
  s.relinkCompany(lkey, link?.companyKey ?? null, ckCompany);
  const inn = s.companyLink(ckCompany)?.inn ?? null;
  s.place(lkey, link, { contact: c, position: s.pos.ref, via: 'contact', companyKey: ckCompany }, inn);
  const r = s.finish('applied');
  return inn ? r : { ...r, outcome: 'parked' };
}

function deleteCompany(s: Session, source: string, sourceId: string, changedAt: string): ResolveResult {
  const lkey = companyLinkKey(source, sourceId);
  const link = s.companyLink(lkey);
  if (link && newer(link.changedAt, changedAt)) return s.finish('stale');
  if (link?.inn && !link.deleted) {
    s.agg(link.inn).setCompany(contributionKey(source, sourceId), null);
    for (const ck of link.contacts) {
      const clink = s.contactLink(ck);
      const cur = s.current(clink, ck.slice(3));
      if (!clink || !cur) continue;
      // Contacts that came inside the company record go with it; standalone ones wait, parked,
      // for the record to come back: the state is then the same as if the delete came first.
      if (cur.via === 'company') {
        if (!newer(clink.changedAt, changedAt)) s.withdraw(ck, clink, ck.slice(3), changedAt);
      } else {
        s.place(ck, clink, cur, null, clink.changedAt);
      }
    }
  }
  // A tombstone: an older upsert arriving later must not bring the record back.
  s.tx.put('links', lkey, { entity: 'company', inn: null, changedAt, deleted: true, contacts: link?.contacts ?? [] });
  return s.finish('applied');
}

function deleteContact(s: Session, source: string, sourceId: string, changedAt: string): ResolveResult {
  const lkey = contactLinkKey(source, sourceId);
  const link = s.contactLink(lkey);
  if (link && newer(link.changedAt, changedAt)) return s.finish('stale');
  if (link) {
    s.withdraw(lkey, link, contributionKey(source, sourceId), changedAt);
  } else {
    s.tx.put('links', lkey, {
      entity: 'contact',
      inn: null,
      goldenId: null,
      companyKey: null,
      changedAt,
      deleted: true,
      parked: null,
    });
  }
  return s.finish('applied');
}
