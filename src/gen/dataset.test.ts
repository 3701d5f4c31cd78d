import { describe, expect, it } from 'vitest';
import { validateInn } from '../identifiers/index.js';
import { generate, scales } from './dataset.js';

describe('synthetic dataset', () => {
  const ds = generate(scales.small, 7);

  it('is deterministic for a seed and differs across seeds', () => {
    expect(JSON.stringify(generate(scales.small, 7).shopB.dump)).toBe(JSON.stringify(ds.shopB.dump));
    expect(JSON.stringify(generate(scales.small, 8).shopB.dump)).not.toBe(JSON.stringify(ds.shopB.dump));
  });

  it('has dirt of every advertised kind', () => {
    const innsA = ds.shopA.companies.map((c) => c.inn);
    expect(innsA.some((i) => i === null || i.trim() === '')).toBe(true);
    expect(innsA.some((i) => i !== null && /\d[ -]\d/.test(i))).toBe(true);
    expect(innsA.some((i) => i !== null && i.trim() !== '' && !validateInn(i.replace(/\D/g, '')).valid)).toBe(true);
    expect(ds.shopA.companies.some((c) => c.name.includes('Общество с ограниченной ответственностью'))).toBe(true);
    expect(ds.shopA.companies.some((c) => c.status === 'deleted')).toBe(true);
    expect(ds.shopA.contacts.some((c) => c.company_id === null)).toBe(true);
    expect(ds.shopB.events.some((e) => { try { JSON.parse(e.value); return false; } catch { return true; } })).toBe(true);
    expect(ds.shopB.events.some((e) => e.value.includes('PARTNER_DELETE'))).toBe(true);
    expect(Object.values(ds.registry).some((r) => r.status === 'LIQUIDATED')).toBe(true);
  });

  it('has a truth consistent with the register and the records', () => {
    for (const inn of ds.truth.companies) {
      expect(validateInn(inn).valid).toBe(true);
      expect(['ACTIVE', 'REORGANIZING']).toContain(ds.registry[inn]?.status);
    }
    const expected = new Set(ds.truth.companies);
    for (const c of ds.truth.contacts) expect(expected.has(c.inn)).toBe(true);
    expect(ds.truth.contacts.length).toBeGreaterThan(ds.truth.companies.length);
    // Duplicates exist: more source contact records than real people.
    expect(Object.keys(ds.truth.contactOwners).length).toBeGreaterThan(ds.truth.contacts.length);
  });
});
