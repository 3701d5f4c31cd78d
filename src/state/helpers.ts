import type { RejectReason } from '../model/index.js';
import { positionKey } from './keys.js';
import type { CrmLedgerEntry, GoldenCompanyState, GoldenContactState, Reject, RegistryEntry } from './records.js';
import type { StateOp, StateStore } from './store.js';

/**
 * Typed helpers over the generic store: op builders (to be put in one batch with other ops)
 * and readers. They hold no state, so any StateStore works.
 */

/** The op that records where `source`/`partition` resumes: put it in the batch of the state it produced. */
export function positionOp(source: string, partition: string, resume: string): StateOp {
  return { type: 'put', ns: 'positions', key: positionKey(source, partition), value: resume };
}

export function getPosition(store: StateStore, source: string, partition: string): Promise<string | undefined> {
  return store.get('positions', positionKey(source, partition));
}

/** Every stored position of `source`, by partition. */
export async function listPositions(store: StateStore, source: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const [k, v] of store.iterate('positions', { prefix: `${source}|` })) out[k.slice(source.length + 1)] = v;
  return out;
}

/**
 * A reject's primary key: one per source record version and reason, without the time, so a
 * replay that rejects the same record again overwrites its entry instead of adding a twin.
 */
export function rejectKey(r: Reject): string {
  return `${r.source}|${r.position}|${r.sourceId ?? ''}|${r.reason}`;
}

/** Ops that store a reject and its by-reason index entry. */
export function rejectOps(r: Reject): StateOp[] {
  const key = rejectKey(r);
  return [
    { type: 'put', ns: 'rejects', key, value: r },
    { type: 'put', ns: 'rejectsByReason', key: `${r.reason}|${key}`, value: r },
  ];
}

export interface RejectFilter {
  reason?: RejectReason;
  /** ISO time: only rejects recorded at or after it. */
  since?: string;
  limit?: number;
}

/** Rejects in time order, optionally of one reason (read from the index, not filtered by scan). */
export async function* listRejects(store: StateStore, filter: RejectFilter = {}): AsyncIterable<Reject> {
  const { reason, since, limit } = filter;
  // Keys are not time-ordered (see rejectKey): `since` filters values, and `limit` counts what passes.
  const ns = reason === undefined ? 'rejects' : 'rejectsByReason';
  let n = 0;
  for await (const [, r] of store.iterate(ns, reason === undefined ? {} : { prefix: `${reason}|` })) {
    if (since !== undefined && r.at < since) continue;
    if (limit !== undefined && n++ >= limit) return;
    yield r;
  }
}

export function registryOp(inn: string, entry: RegistryEntry): StateOp {
  return { type: 'put', ns: 'registry', key: inn, value: entry };
}

/** The cached register answer if younger than `ttlMs` at `now`; undefined when absent or expired. */
export async function getFreshRegistry(
  store: StateStore,
  inn: string,
  ttlMs: number,
  now: Date = new Date(),
): Promise<RegistryEntry | undefined> {
  const entry = await store.get('registry', inn);
  if (!entry) return undefined;
  const age = now.getTime() - Date.parse(entry.fetchedAt);
  return Number.isFinite(age) && age >= 0 && age < ttlMs ? entry : undefined;
}

export function crmIdsOp(goldenId: string, ids: CrmLedgerEntry): StateOp {
  return { type: 'put', ns: 'crmIds', key: goldenId, value: ids };
}

export async function* goldenCompanies(store: StateStore): AsyncIterable<GoldenCompanyState> {
  for await (const [, c] of store.iterate('companies')) yield c;
}

export async function* goldenContacts(store: StateStore, inn?: string): AsyncIterable<GoldenContactState> {
  if (inn === undefined) {
    for await (const [, c] of store.iterate('contacts')) yield c;
    return;
  }
  const company = await store.get('companies', inn);
  if (!company) return;
  for (const c of await store.getMany('contacts', company.contactIds)) if (c) yield c;
}

/** Golden records waiting for the CRM (what a loader resumes from after a restart). */
export async function* pendingRecords(store: StateStore): AsyncIterable<{ entity: 'company' | 'contact'; id: string }> {
  for await (const [, m] of store.iterate('pending')) yield m;
}
