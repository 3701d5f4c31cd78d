import type { CanonicalChange } from './canonical.js';

/** The closed list of reasons a record is rejected for. Every reject carries one. */
export const rejectReasons = [
  'MISSING_INN',
  'INVALID_INN',
  'INVALID_KPP',
  'INVALID_OGRN',
  'MALFORMED_RECORD',
  'BAD_ENCODING',
  'SOURCE_DELETED',
  'EGRUL_NOT_FOUND',
  'EGRUL_NOT_ACTIVE',
  'COMPANY_REJECTED',
  'COMPANY_UNKNOWN',
  'NO_CONTACT_DATA',
  'CRM_REJECTED',
] as const;

export type RejectReason = (typeof rejectReasons)[number];

/** Non-fatal findings while cleaning a record: counted, the record goes on. */
export const cleaningWarnings = [
  'PHONE_UNPARSEABLE',
  'EMAIL_INVALID',
  'KPP_INVALID',
  'OGRN_INVALID',
  'BIK_INVALID',
  'ACCOUNT_INVALID',
  'EGRUL_REORGANIZING',
  /** A contact nested in a company record (Shop B partner) had no name, phone or e-mail: dropped. */
  'CONTACT_NO_DATA',
] as const;

export type CleaningWarning = (typeof cleaningWarnings)[number];

export interface Reject {
  reason: RejectReason;
  detail: string;
  source: string;
  sourceId: string | null;
  /** `partition@offset` of the source record. */
  position: string;
  /** ISO time the reject was recorded. */
  at: string;
  /** EGRUL_NOT_FOUND: the register checked again this many times (the sweep's back-off), the last at `at`. */
  rechecks?: { count: number; at: string };
  /**
   * EGRUL_NOT_FOUND of a company record: the record as mapped (with the contacts it carried), kept
   * so that the register sweep can load it once the register lists the company (issue 19).
   */
  held?: CanonicalChange;
  /** Closed: the cause is gone (e.g. the register now lists the company). Kept, not deleted, with why. */
  resolved?: { at: string; detail: string };
}
