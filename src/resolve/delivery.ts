import type {
  CrmLedgerEntry,
  DeliveryStatus,
  GoldenCompanyState,
  GoldenContactState,
  SyncedMark,
} from '../state/records.js';
import { contentHash } from './content-hash.js';

/**
 * Change detection and delivery state. A golden record is `pending` until the loader reports
 * that the CRM holds its current content hash; nothing here ever marks a record synced on its
 * own (a dedup state that says "done" before the sink confirms loses data on a crash).
 */

export function companyHash(s: Pick<GoldenCompanyState, 'status' | 'record'>): string {
  return contentHash({ status: s.status, record: s.record });
}

/** Pending merges are part of what the CRM must see, so they change the hash until applied. */
export function contactHash(s: Pick<GoldenContactState, 'status' | 'record' | 'mergedInto' | 'mergedFrom'>): string {
  return contentHash({
    status: s.status,
    record: s.record,
    mergedInto: s.mergedInto,
    mergedFrom: s.mergedFrom.map((m) => m.goldenId).sort(),
  });
}

/**
 * pending: the CRM lags the record (never delivered and alive, or delivered with another hash).
 * A contact merged away is never pending itself: the kept contact's `mergedFrom` carries the work.
 */
export function deliveryOf(status: string, hash: string, synced: SyncedMark | null): DeliveryStatus {
  if (status === 'merged') return 'none';
  if (synced) return synced.hash === hash ? 'synced' : 'pending';
  return status === 'active' ? 'pending' : 'none';
}

/**
 * The state after the CRM confirmed `hash`. If that is still the current hash the record is
 * synced and its pending merges are done; if the record changed meanwhile, the CRM ids are
 * kept (the next delivery updates rather than creates) and it stays pending.
 */
export function syncCompany(
  s: GoldenCompanyState,
  crmIds: CrmLedgerEntry,
  hash: string,
  at: string,
): GoldenCompanyState {
  const synced: SyncedMark = { crmId: crmIds.company ?? null, hash, at };
  return { ...s, synced, delivery: deliveryOf(s.status, s.hash, synced) };
}

export function syncContact(
  s: GoldenContactState,
  crmIds: CrmLedgerEntry,
  hash: string,
  at: string,
): GoldenContactState {
  if (hash !== s.hash) {
    const synced: SyncedMark = { crmId: crmIds.contact ?? null, hash, at };
    return { ...s, synced, delivery: deliveryOf(s.status, s.hash, synced) };
  }
  const next: GoldenContactState = { ...s, mergedFrom: [] };
  next.hash = contactHash(next);
  next.synced = { crmId: crmIds.contact ?? null, hash: next.hash, at };
  next.delivery = deliveryOf(next.status, next.hash, next.synced);
  return next;
}
