import type { CrmFinding } from '../model/crm-ids.js';
import type {
  CompanyLink,
  ContactLink,
  CrmLedgerEntry,
  GoldenCompanyState,
  GoldenContactState,
  PendingMarker,
  Reject,
  RegisterChange,
  RegistryEntry,
} from './records.js';

/**
 * The state store: namespaces (LevelDB sublevels) of JSON values under string keys, written
 * only through atomic batches so that golden records and the source positions that produced
 * them never diverge after a crash. One process writes (LevelDB takes an exclusive lock).
 */
export interface NamespaceValues {
  /** Golden companies by INN. */
  companies: GoldenCompanyState;
  /** Golden contacts by golden contact id. */
  contacts: GoldenContactState;
  /** `<inn>|email:…`, `<inn>|phone:…`, `<inn>|name:…` → golden contact id. */
  matchKeys: string;
  /** `co|<source>|<sourceId>` and `ct|<source>|<sourceId>` → link. */
  links: CompanyLink | ContactLink;
  /** `<source>|<partition>` → resume string. */
  positions: string;
  /** INN → cached register answer. */
  registry: RegistryEntry;
  /** Golden id → CRM ids. */
  crmIds: CrmLedgerEntry;
  /** `<source>|<position>|<sourceId>|<reason>` → reject (one per record version and reason). */
  rejects: Reject;
  /** `<reason>|<rejects key>` → reject: the by-reason index. */
  rejectsByReason: Reject;
  /** `company|<inn>` / `contact|<id>` → marker: golden records waiting for the CRM. */
  pending: PendingMarker;
  /** `conflict|<inn>|<entity>|<field>` / `twins|<inn>` → what a person should look at in the CRM. */
  crmFindings: CrmFinding;
  /** `<ISO time>|<inn>` → a register status that changed on a re-check, and the CRM write it asked for. */
  registerChanges: RegisterChange;
}

export type Namespace = keyof NamespaceValues;

export const namespaces = [
  'companies',
  'contacts',
  'matchKeys',
  'links',
  'positions',
  'registry',
  'crmIds',
  'rejects',
  'rejectsByReason',
  'pending',
  'crmFindings',
  'registerChanges',
] as const satisfies readonly Namespace[];

export type PutOp<N extends Namespace = Namespace> = { type: 'put'; ns: N; key: string; value: NamespaceValues[N] };
export type DelOp<N extends Namespace = Namespace> = { type: 'del'; ns: N; key: string };

/** One write of a batch. The union is distributed so `value` is checked against its namespace. */
export type StateOp = { [N in Namespace]: PutOp<N> | DelOp<N> }[Namespace];

/** A key range; `prefix` is shorthand for `gte: prefix, lt: prefix + <max>`. Keys sort bytewise (UTF-8). */
export interface KeyRange {
  prefix?: string;
  gte?: string;
  gt?: string;
  lte?: string;
  lt?: string;
  reverse?: boolean;
  limit?: number;
}

export interface StateStats {
  companies: { total: number; active: number; deleted: number; pending: number; synced: number };
  contacts: { total: number; active: number; deleted: number; merged: number; pending: number; synced: number };
  links: { companies: number; contacts: number; parkedContacts: number };
  rejects: { total: number; byReason: Record<string, number> };
  matchKeys: number;
  positions: number;
  registry: number;
  crmIds: number;
  pending: number;
}

export interface StateStore {
  /** `memory` or `level`: for messages and stats, never for branching behaviour. */
  readonly kind: 'memory' | 'level';

  /** The value under `key`, or undefined. Returns a fresh copy: mutating it changes nothing stored. */
  get<N extends Namespace>(ns: N, key: string): Promise<NamespaceValues[N] | undefined>;

  /** Values for `keys`, in order, undefined where absent (one round trip for many look-ups). */
  getMany<N extends Namespace>(ns: N, keys: readonly string[]): Promise<Array<NamespaceValues[N] | undefined>>;

  /**
   * Applies every op atomically: all of them or none, across namespaces, in order (a later op on
   * the same key wins). State changes and the source positions they come from go in one call.
   */
  batch(ops: readonly StateOp[]): Promise<void>;

  /** Entries of `ns` in key order (bytewise) within `range`, read from a consistent snapshot. */
  iterate<N extends Namespace>(ns: N, range?: KeyRange): AsyncIterable<[string, NamespaceValues[N]]>;

  /** Number of keys in `ns` within `range` (values are not decoded). */
  count(ns: Namespace, range?: KeyRange): Promise<number>;

  /** Counts by entity and delivery status (scans: meant for the CLI and occasional gauges). */
  stats(): Promise<StateStats>;

  /** Releases the store (and the LevelDB lock). Later calls fail with STATE_STORE_FAILED. */
  close(): Promise<void>;
}

/** The highest code point: `prefix + MAX_CHAR` bounds every key starting with `prefix`. */
export const MAX_CHAR = '\u{10FFFF}';

/** Turns a range (with `prefix`) into plain bounds. */
export function rangeBounds(range: KeyRange = {}): Omit<KeyRange, 'prefix'> {
  const { prefix, ...rest } = range;
  if (prefix === undefined) return rest;
  return { gte: prefix, lt: prefix + MAX_CHAR, ...rest };
}
