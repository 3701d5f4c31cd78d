/**
 * What the CRM holds for one golden company, as far as this pipeline knows: the ids the portal
 * confirmed and what was last written to each entity. The loader fills it; the delivery ledger
 * (src/delivery/ledger.ts) persists it in the state store's `crmIds` namespace.
 */

/** One multifield row as the portal stores it; row ids let an update touch it instead of adding a twin. */
export interface MultifieldRow {
  id: number;
  type: 'PHONE' | 'EMAIL';
  value: string;
  valueType: string;
}

/** Field → value as last written; `PHONE`/`EMAIL` hold the rows, one `VALUE_TYPE<TAB>VALUE` per line. */
export type SentFields = Record<string, string>;

/** CRM ids of one golden company's entities; the caller stores them and passes them back. */
export interface CrmIds {
  companyId?: number;
  /** Undefined: not known (read in bulk only when an update must change or remove a row). */
  companyRows?: MultifieldRow[];
  /** By requisite key (the KPP, or "-" without one). */
  requisites: Record<string, number>;
  /** By bank key `BIK/account`. */
  bankDetails: Record<string, number>;
  /** By contact golden id. */
  contacts: Record<string, { id: number; rows?: MultifieldRow[] }>;
  /**
   * What the CRM holds of each entity as this pipeline last wrote it, by entity ref (`c`,
   * `rq:<KPP>`, `bd:<BIK/account>`, `ct:<golden id>`). An update sends only the fields whose value
   * differs from this; an entity without an entry (a state from before per-entity tracking, or an
   * entity found by a look-up) is written in full once.
   */
  sent?: Record<string, SentFields>;
  /**
   * The company was adopted (people entered it): they may enter contacts in it too, so a new
   * golden contact is matched against the CRM's contacts of the company before it is created.
   */
  preexisting?: boolean;
}

export const emptyIds = (): CrmIds => ({ requisites: {}, bankDetails: {}, contacts: {} });

/**
 * What the delivery remembers per golden company between loads: the ids the loader confirmed,
 * the hash of the content it confirmed, and whether creates were sent whose outcome nobody saw.
 */
export interface DeliveryMemo {
  hash: string | null;
  ids: CrmIds | null;
  createAttempted: boolean;
}

/**
 * The `crmIds` record of one golden id: for a company its CRM id and delivery memo, for a
 * contact its CRM id. Written by `markSynced` after the CRM confirmed, and by the ledger.
 */
export interface CrmLedgerEntry {
  company?: string;
  contact?: string;
  delivery?: DeliveryMemo;
}

/**
 * A managed field a person changed in the CRM since this pipeline last wrote it (or, for an
 * adopted entity, a value a person entered that differs from the sources). `kept` says which
 * value the CRM holds now: the person's (`crm.conflicts: keep-crm`) or the source's (`overwrite`).
 */
export interface CrmConflict {
  kind: 'conflict';
  inn: string;
  /** Entity ref: `c`, `rq:<KPP>`, `bd:<BIK/account>`, `ct:<golden id>`. */
  entity: string;
  crmId: number;
  field: string;
  crmValue: string;
  sourceValue: string;
  kept: 'crm' | 'source';
  at: string;
}

/** Several CRM companies carry one INN (twins people made): the oldest was adopted, the rest left for a person to merge. */
export interface CrmTwins {
  kind: 'twins';
  inn: string;
  adoptedId: number;
  twinIds: number[];
  at: string;
}

export type CrmFinding = CrmConflict | CrmTwins;
