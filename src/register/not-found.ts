import { innOfNotFound, verdict, type RegistryStatus } from '../connectors/egrul/status.js';
import type { Reject } from '../model/index.js';
import { companyKeyOfParked } from '../runtime/parked.js';
import { rejectOps } from '../state/helpers.js';
import { contactLinkKey } from '../state/keys.js';
import type { RegistryEntry } from '../state/records.js';
import type { StateOp, StateStore } from '../state/store.js';
import { loadedCompanies } from './refresh.js';

const DAY_MS = 86_400_000;

/** EGRUL_NOT_FOUND rejects of one INN whose next re-check is due, and since when it is due. */
export interface DueInn {
  inn: string;
  rejects: Reject[];
  /** Epoch ms: the earliest due time of its rejects; a register answer fetched since counts as the check. */
  dueAt: number;
}

/** When the reject's next re-check falls due (epoch ms), or undefined once the back-off is used up or it is closed. */
export function nextCheckAt(r: Reject, backoffDays: readonly number[]): number | undefined {
  const done = r.rechecks?.count ?? 0;
  if (r.resolved || done >= backoffDays.length) return undefined;
  return Date.parse(r.at) + backoffDays[done]! * DAY_MS;
}

/**
 * Open EGRUL_NOT_FOUND rejects due at `now`, grouped by INN (a company rejected by several
 * sources or record versions is looked up once). Read from the by-reason index.
 */
export async function dueNotFound(store: StateStore, backoffDays: readonly number[], now: number): Promise<DueInn[]> {
  const byInn = new Map<string, DueInn>();
  for await (const [, r] of store.iterate('rejectsByReason', { prefix: 'EGRUL_NOT_FOUND|' })) {
    const at = nextCheckAt(r, backoffDays);
    const inn = innOfNotFound(r.detail);
    if (at === undefined || at > now || inn === undefined) continue;
    const due = byInn.get(inn) ?? { inn, rejects: [], dueAt: at };
    due.rejects.push(r);
    due.dueAt = Math.min(due.dueAt, at);
    byInn.set(inn, due);
  }
  return [...byInn.values()];
}

/** A register answer fetched at or after the check fell due: it is the check (nothing to ask again). */
export function answeredSince(entry: RegistryEntry | undefined, dueAt: number): boolean {
  return entry !== undefined && Date.parse(entry.fetchedAt) >= dueAt;
}

/** Whether the register's answer lets the company in (ACTIVE, or REORGANIZING with a warning). */
export function isFound(inn: string, entry: RegistryEntry | undefined): boolean {
  return verdict({ inn, status: (entry?.status ?? 'NOT_FOUND') as RegistryStatus['status'] }).ok;
}

/**
 * Ops that record the answer on each due reject: closed (kept, with why) when the register now
 * lists the company — `loaded` when the sweep loaded the records the rejects held — else one more
 * check counted towards the back-off.
 */
export function settleOps(due: DueInn, entry: RegistryEntry | undefined, at: string, loaded: boolean): StateOp[] {
  if (!isFound(due.inn, entry))
    return due.rejects.flatMap((r) => rejectOps({ ...r, rechecks: { count: (r.rechecks?.count ?? 0) + 1, at } }));
  const listed = `the register lists INN ${due.inn} as ${entry!.status} (checked ${entry!.fetchedAt})`;
  return due.rejects.flatMap((r) =>
    rejectOps({
      ...r,
      resolved: {
        at,
        detail: loaded
          ? `${listed}; loaded by the register sweep`
          : `${listed}; the record loads when ${r.source} reads it again (crm-unify replay)`,
      },
    }),
  );
}

/**
 * Ops that close the COMPANY_REJECTED rejects of contacts that were parked on these company
 * records (`co|source|id`) and are attached now that the sweep loaded the company.
 */
export async function attachedContactOps(
  store: StateStore,
  companyKeys: ReadonlySet<string>,
  at: string,
): Promise<StateOp[]> {
  const ops: StateOp[] = [];
  for await (const [, r] of store.iterate('rejectsByReason', { prefix: 'COMPANY_REJECTED|' })) {
    const key = companyKeyOfParked(r.detail);
    if (r.resolved || r.sourceId === null || key === undefined || !companyKeys.has(key)) continue;
    const link = await store.get('links', contactLinkKey(r.source, r.sourceId));
    if (link?.entity !== 'contact' || link.parked || !link.inn) continue;
    ops.push(
      ...rejectOps({
        ...r,
        resolved: {
          at,
          detail: `its company (INN ${link.inn}) was loaded by the register sweep; the contact is attached`,
        },
      }),
    );
  }
  return ops;
}

/** A company the register found after it was rejected as not found: what `crm-unify register found` lists. */
export interface FoundRecord {
  inn: string;
  source: string;
  sourceId: string | null;
  position: string;
  rejectedAt: string;
  foundAt: string;
  /** The CRM holds the company now (a replay or a newer version of a record of it was loaded). */
  loaded: boolean;
}

/** EGRUL_NOT_FOUND rejects closed because the register found the company, oldest find first. */
export async function listFound(store: StateStore): Promise<FoundRecord[]> {
  const out: FoundRecord[] = [];
  for await (const [, r] of store.iterate('rejectsByReason', { prefix: 'EGRUL_NOT_FOUND|' })) {
    const inn = innOfNotFound(r.detail);
    if (!r.resolved || inn === undefined) continue;
    out.push({
      inn,
      source: r.source,
      sourceId: r.sourceId,
      position: r.position,
      rejectedAt: r.at,
      foundAt: r.resolved.at,
      loaded: false,
    });
  }
  const loaded = await loadedCompanies(
    store,
    out.map((f) => f.inn),
  );
  for (const f of out) f.loaded = loaded.has(f.inn);
  return out.sort((a, b) => a.foundAt.localeCompare(b.foundAt));
}
