// The verifier's reject expectations, checked against the mappers without a pipeline: the reason
// the generator's dirt calls for must be the one the mapper gives for the INN faults, and every
// record the truth says must be rejected is not one the mapper would load as is.
import { describe, expect, it } from 'vitest';
import { generate, reachable, scales } from '../../src/gen/dataset.js';
import { mapShopACompany } from '../../src/mappers/shop-a.js';
import { mapPartner } from '../../src/mappers/shop-b.js';
import { SHOP_A, SHOP_B, shopACompanyId, shopAContactId, shopBCompanyId } from '../../src/mappers/source-ids.js';
import { expectedRejectReasons } from './verify.js';

describe('expectedRejectReasons', () => {
  const ds = generate(reachable(scales.small), 7);
  const want = expectedRejectReasons(ds);

  it('agrees with the mappers on every company record with an INN fault, and expects nothing of clean ones', () => {
    const mapped = [
      ...ds.shopA.companies
        .filter((r) => r.status !== 'deleted')
        .map((r) => [`${SHOP_A}|${shopACompanyId(r.id)}`, mapShopACompany(r)] as const),
      ...ds.shopB.dump.map((p) => [`${SHOP_B}|${shopBCompanyId(p.partnerId)}`, mapPartner(p)] as const),
    ];
    let innFaults = 0;
    for (const [key, outcome] of mapped) {
      const w = want.get(key);
      if (!outcome.ok) {
        expect(w?.reason, key).toBe(outcome.reason);
        innFaults++;
      } else {
        // Mapped fine: only the register can still reject it.
        expect([undefined, 'EGRUL_NOT_FOUND', 'EGRUL_NOT_ACTIVE'], key).toContain(w?.reason);
      }
    }
    expect(innFaults).toBeGreaterThan(5);
  });

  it('expects COMPANY_UNKNOWN for orphans and COMPANY_REJECTED for the contacts of a rejected Shop A company', () => {
    for (const c of ds.shopA.contacts) {
      const w = want.get(`${SHOP_A}|${shopAContactId(c.id)}`)?.reason;
      const company = c.company_id === null ? undefined : want.get(`${SHOP_A}|${shopACompanyId(c.company_id)}`);
      expect(w).toBe(c.company_id === null ? 'COMPANY_UNKNOWN' : company ? 'COMPANY_REJECTED' : undefined);
    }
    expect([...want.values()].filter((w) => w.reason === 'COMPANY_REJECTED').length).toBeGreaterThan(0);
  });
});
