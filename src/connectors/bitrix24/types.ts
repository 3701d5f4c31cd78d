import type { CrmConflict, CrmIds } from '../../model/crm-ids.js';
import type { CrmUnifyError } from '../../core/errors.js';

/** The loader's input: one golden company with everything delivered alongside it. */
export interface GoldenPhone {
  e164: string;
  ext?: string;
  /** libphonenumber-js type; MOBILE becomes VALUE_TYPE MOBILE, anything else WORK. */
  type?: string;
}

export interface GoldenRequisite {
  inn: string;
  kpp?: string;
  ogrn?: string;
  ogrnip?: string;
  name: string;
  fullName?: string;
}

export interface GoldenBankAccount {
  bik: string;
  account: string;
  corrAccount?: string;
  bankName?: string;
  /** Which requisite (by KPP) holds the account; the first requisite when absent. */
  kpp?: string;
}

export interface GoldenContact {
  goldenId: string;
  lastName?: string;
  firstName?: string;
  middleName?: string;
  position?: string;
  phones: GoldenPhone[];
  emails: string[];
  /** Contacts merged into this one; their CRM contacts are deleted (or marked) once this one is written. */
  mergedFrom?: Array<{ goldenId: string; crmId?: number }>;
  /** As `GoldenCompany.current`, for this contact. */
  current?: boolean;
}

export interface GoldenCompany {
  goldenId: string;
  /** Content hash of everything below: equal to `synced.hash` means nothing to write. */
  hash: string;
  kind: 'ORG' | 'IE';
  name: string;
  fullName?: string;
  address?: string;
  phones: GoldenPhone[];
  emails: string[];
  requisites: GoldenRequisite[];
  bankAccounts: GoldenBankAccount[];
  contacts: GoldenContact[];
  /**
   * The company's own content (fields, requisites, bank details) is what the CRM last confirmed:
   * used only for entities with no record of what was sent (a state written before per-entity
   * tracking), which then count as current instead of being re-sent.
   */
  current?: boolean;
  /** What an earlier sync confirmed. */
  synced?: { hash: string; ids: CrmIds };
  /** An earlier load sent creates whose outcome nobody saw (crash, lost answer): look up first. */
  createAttempted?: boolean;
}

/**
 * What one load() did for one golden company. For `rejected` and `retry`, `ids` holds every id the
 * portal confirmed so far (creates included) and `createAttempted` says whether a write's outcome
 * is still unknown (its entity may exist without its id in `ids`). The caller passes both back on
 * the next load of that company: `synced: { hash: <the last CONFIRMED hash, or '' if none>, ids }`
 * and `createAttempted: true` when the result said so (passing true when unsure is always safe:
 * it only costs look-ups). Never pass the new hash for an unsettled load: that would skip updates.
 */
export type LoadResult =
  /** Confirmed by the portal: mark the golden record synced(ids, hash). */
  | {
      goldenId: string;
      status: 'synced';
      hash: string;
      ids: CrmIds;
      writes: number;
      mergedAway: string[];
      /** Managed fields people changed in the CRM, found in this load. */
      conflicts: CrmConflict[];
      /** Entity refs adopted from what people entered. */
      adopted: string[];
      /** Other CRM companies with the company's INN, left for a person to merge. */
      twins?: number[];
    }
  /** The portal refused a command (400-type): reject the record with reason CRM_REJECTED. */
  | {
      goldenId: string;
      status: 'rejected';
      reason: 'CRM_REJECTED';
      detail: string;
      ids: CrmIds;
      createAttempted: boolean;
    }
  /** Not settled (outage, retries exhausted): keep the ids, nack, and try again later. */
  | { goldenId: string; status: 'retry'; error: CrmUnifyError; ids: CrmIds; createAttempted: boolean };

export { emptyIds, type CrmIds, type MultifieldRow, type SentFields } from '../../model/crm-ids.js';
