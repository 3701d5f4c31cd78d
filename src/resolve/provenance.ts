import type { GoldenCompanyState, GoldenContactState, ProvenanceEntry } from '../state/records.js';
import { buildCompany, buildContact } from './survivorship.js';

/**
 * Which source record supplied which golden field. Not stored: survivorship rebuilds it from the
 * contributions the state keeps (the same call that built the record), for `state get` and tests.
 */
export function companyProvenance(s: GoldenCompanyState): ProvenanceEntry[] {
  return buildCompany(s.inn, Object.values(s.contributions))?.provenance ?? [];
}

export function contactProvenance(s: GoldenContactState): ProvenanceEntry[] {
  return buildContact(s.id, s.inn, Object.values(s.contributions))?.provenance ?? [];
}
