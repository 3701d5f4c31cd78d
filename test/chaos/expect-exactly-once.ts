import { expect } from 'vitest';
import type { VerifyFigures } from './verify.js';

/** The chaos promise in the CRM: every expected golden company and contact exactly once, and nothing else. */
export function expectExactlyOnce(
  v: Pick<VerifyFigures, 'crm' | 'expected' | 'duplicates' | 'missing' | 'extra'>,
): void {
  expect(v.duplicates).toEqual({
    companiesByOriginId: 0,
    companiesByInn: 0,
    contactsByOriginId: 0,
    contactsByPerson: 0,
    requisitesByXmlId: 0,
    bankDetailsByXmlId: 0,
  });
  expect(v.missing).toEqual({ companies: 0, contacts: 0 });
  expect(v.extra).toEqual({ companies: 0, contacts: 0 });
  expect(v.crm.companies).toBe(v.expected.companies);
  expect(v.crm.contacts).toBe(v.expected.contacts);
}
