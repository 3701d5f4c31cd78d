import type { CrmLedgerEntry } from '../model/crm-ids.js';
import type { BankAccount, Company, Contact, LegalFormCode, Phone, Reject } from '../model/index.js';

/**
 * The value shapes kept in the state store, one per namespace. They are plain JSON (LevelDB
 * stores them with the `json` encoding), so no Dates, Maps or undefined-valued keys that matter.
 * Only what cannot be rebuilt is kept: provenance (which record supplied which field) is rebuilt
 * from the contributions when asked for (`state show`), and contacts are found through the
 * company's `contactIds`, not an index of match keys. States written before format 2 carry
 * `provenance` and a `matchKeys` index that nothing reads; `crm-unify state migrate` drops them.
 */

/**
 * Where a golden record stands with the CRM. `pending`: the CRM must be written (create, update,
 * delete or merge); `synced`: the CRM confirmed the current content hash; `none`: nothing to do
 * and nothing was ever delivered (e.g. a contact deleted before it was loaded).
 */
export type DeliveryStatus = 'pending' | 'synced' | 'none';

/** What the loader confirmed: set only by `markSynced`, after the CRM answered. */
export interface SyncedMark {
  crmId: string | null;
  hash: string;
  at: string;
}

/** One contributing source record of a golden record, and which golden fields it supplied (derived, not stored). */
export interface ProvenanceEntry {
  source: string;
  sourceId: string;
  changedAt: string;
  /** `partition@offset` of the source record version that is stored. */
  position: string;
  fields: string[];
}

export interface GoldenRequisite {
  /** '' when the company has no KPP at all (an IE, or no source gave one). */
  kpp: string;
  name?: string;
  fullName?: string;
  ogrn?: string;
  ogrnip?: string;
}

export interface GoldenBankAccount extends BankAccount {
  /** KPP of the requisite the newest supplying record had ('' when none): where to attach it. */
  kpp: string;
}

/** The CRM-relevant content of a golden company: what the content hash covers. */
export interface GoldenCompanyRecord {
  inn: string;
  kind: 'ORG' | 'IE';
  name: string;
  fullName?: string;
  legalForm?: LegalFormCode;
  address?: string;
  blocked: boolean;
  ogrn?: string;
  ogrnip?: string;
  phones: Phone[];
  emails: string[];
  requisites: GoldenRequisite[];
  bankAccounts: GoldenBankAccount[];
}

/** A source record's latest version, as it contributes to a golden company. */
export interface CompanyContribution {
  company: Company;
  position: string;
}

export interface GoldenCompanyState {
  /** The golden id of a company is its INN. */
  inn: string;
  /** `deleted`: no source record contributes any more (pending a CRM delete/mark if it was synced). */
  status: 'active' | 'deleted';
  record: GoldenCompanyRecord | null;
  /** Latest version of each contributing source record, by `source|sourceId`. */
  contributions: Record<string, CompanyContribution>;
  /** Golden contacts resolved within this company (active or deleted, never merged ones). */
  contactIds: string[];
  /** Next golden-contact sequence number: "older" in merges means a smaller seq. */
  nextContactSeq: number;
  hash: string;
  delivery: DeliveryStatus;
  synced: SyncedMark | null;
}

export interface GoldenContactRecord {
  id: string;
  inn: string;
  lastName?: string;
  firstName?: string;
  middleName?: string;
  position?: string;
  phones: Phone[];
  emails: string[];
}

export interface ContactContribution {
  contact: Contact;
  position: string;
  /** `company`: delivered inside its company's record (Shop B), withdrawn when a newer company version omits it. */
  via: 'company' | 'contact';
  /** Link key of the company source record it belongs to. */
  companyKey: string;
}

/** A golden contact that was merged into another: the loader deletes or marks its CRM contact. */
export interface MergedFrom {
  goldenId: string;
  crmId: string | null;
}

export interface GoldenContactState {
  id: string;
  inn: string;
  /** Creation order within the company; the smaller seq survives a merge. */
  seq: number;
  status: 'active' | 'deleted' | 'merged';
  mergedInto: string | null;
  /** Merges the CRM has not yet applied; cleared by `markSynced` of this record. */
  mergedFrom: MergedFrom[];
  record: GoldenContactRecord | null;
  contributions: Record<string, ContactContribution>;
  /** The cluster's match keys: a recompute that gives the same keys and members leaves the contact as is. */
  keys: string[];
  hash: string;
  delivery: DeliveryStatus;
  synced: SyncedMark | null;
}

/** A company source record: which golden company it feeds and which contacts point at it. */
export interface CompanyLink {
  entity: 'company';
  /** null while only its contacts are known (they are parked until it arrives). */
  inn: string | null;
  /** Change time of the newest version seen (a delete included): older versions are stale. */
  changedAt: string;
  deleted: boolean;
  /** Link keys of contact source records that name this company. */
  contacts: string[];
}

/** A contact source record: its golden contact, or its parked contribution while its company is unknown. */
export interface ContactLink {
  entity: 'contact';
  inn: string | null;
  goldenId: string | null;
  companyKey: string | null;
  changedAt: string;
  deleted: boolean;
  parked: ContactContribution | null;
}

export type SourceLink = CompanyLink | ContactLink;

/** A cached EGRUL answer. */
export interface RegistryEntry {
  status: string;
  /** ISO time of the register answer; the TTL counts from here. */
  fetchedAt: string;
  [extra: string]: unknown;
}

/**
 * A register status that changed when a company was checked again (`crm-unify register refresh`),
 * and what the CRM was told. Key `<at>|<inn>`, so a listing `--since` is a key range.
 */
export interface RegisterChange {
  inn: string;
  /** The status cached before the re-check; null when none was. */
  from: string | null;
  to: string;
  /** ISO time of the re-check: the "date checked" the CRM shows. */
  at: string;
  /** The CRM company, when the company is loaded. */
  crmId: string | null;
  /** What the status field gets ('' clears it); null when the CRM is not told (not loaded, nothing to show). */
  value: string | null;
  /** `pending` until the CRM confirms the write; `none` when there is nothing to write (or a later change replaced it). */
  crm: 'pending' | 'written' | 'failed' | 'none';
  detail?: string;
}

export interface PendingMarker {
  entity: 'company' | 'contact';
  id: string;
}

export type { Reject };

export type { CrmLedgerEntry };
