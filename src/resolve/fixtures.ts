import type { CanonicalChange, Company, Contact, Phone } from '../model/index.js';

/**
 * Builders of canonical records for the resolution tests and the benchmark: valid-looking
 * defaults, every field overridable.
 */

let clock = Date.parse('2024-01-01T00:00:00Z');

/** ISO time `minutes` after 2024-01-01T00:00Z (explicit times keep tests readable). */
export function at(minutes: number): string {
  return new Date(clock + minutes * 60_000).toISOString();
}

export function resetClock(): void {
  clock = Date.parse('2024-01-01T00:00:00Z');
}

export function company(over: Partial<Company> & { inn?: string; kpp?: string } = {}): Company {
  const { inn = '7707083893', kpp, ...rest } = over;
  return {
    source: 'shop-a',
    sourceId: '1',
    changedAt: at(0),
    kind: inn.length === 12 ? 'IE' : 'ORG',
    name: 'ООО "Ромашка"',
    phones: [],
    emails: [],
    bankAccounts: [],
    blocked: false,
    requisite: { inn, ...(kpp === undefined ? {} : { kpp }) },
    ...rest,
  };
}

export function contact(over: Partial<Contact> = {}): Contact {
  return {
    source: 'shop-a',
    sourceId: 'c1',
    changedAt: at(0),
    company: { source: 'shop-a', sourceId: '1' },
    phones: [],
    emails: [],
    ...over,
  };
}

export function mobile(e164: string): Phone {
  return { e164, type: 'MOBILE' };
}

export function line(e164: string, ext?: string): Phone {
  return ext === undefined ? { e164, type: 'FIXED_LINE' } : { e164, ext, type: 'FIXED_LINE' };
}

export function upsert(co: Company, contacts: Contact[] = []): CanonicalChange {
  return { kind: 'company', company: co, contacts };
}

export function person(c: Contact): CanonicalChange {
  return { kind: 'contact', contact: c };
}

export function del(
  entity: 'company' | 'contact',
  source: string,
  sourceId: string,
  changedAt: string,
): CanonicalChange {
  return { kind: 'delete', entity, source, sourceId, changedAt };
}
