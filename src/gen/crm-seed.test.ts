import { beforeAll, describe, expect, it } from 'vitest';
import { validateInn } from '../identifiers/index.js';
import { parseEmails, parsePhones } from '../normalize/index.js';
import { parseCrmSeed } from '../sandbox/bitrix24/crm-seed.schema.js';
import { crmSeedFrom, type GeneratedCrmSeed } from './crm-seed.js';
import { generate, scales, type Dataset } from './dataset.js';
import { SHOP_A, SHOP_B, shopAContactId, shopBContactId } from '../mappers/source-ids.js';
import { sourceKey } from './stores.js';

let ds: Dataset;
let gen: GeneratedCrmSeed;
beforeAll(() => {
  ds = generate(scales.small, 1);
  gen = crmSeedFrom(ds, { share: 0.15, seed: 3 });
});

/** Every channel of every live source contact record, with its true person and company INN (from the truth only). */
function channelOwners(): Map<string, Set<string>> {
  const owners = new Map<string, Set<string>>(); // channel → "inn|person"
  const add = (key: string, phones: string | readonly string[] | null, emails: string | readonly string[] | null) => {
    const r = ds.truth.contactRecords[key];
    if (!r?.live) return;
    for (const c of [...parsePhones(phones).phones.map((p) => p.e164), ...parseEmails(emails).emails]) {
      (owners.get(c) ?? owners.set(c, new Set()).get(c)!).add(`${r.inn}|${r.person}`);
    }
  };
  for (const c of ds.shopA.contacts) add(sourceKey(SHOP_A, shopAContactId(c.id)), c.phone, c.email);
  const partners = [
    ...ds.shopB.dump,
    ...ds.shopB.events.flatMap((e) => {
      try {
        const v = JSON.parse(e.value) as { partner?: { partnerId?: unknown; contacts?: unknown } };
        return typeof v.partner?.partnerId === 'string' && Array.isArray(v.partner.contacts)
          ? [v.partner as (typeof ds.shopB.dump)[number]]
          : [];
      } catch {
        return [];
      }
    }),
  ];
  for (const p of partners)
    for (const k of p.contacts) add(sourceKey(SHOP_B, shopBContactId(p.partnerId, k.contactId)), k.phones, k.emails);
  return owners;
}

describe('crmSeedFrom', () => {
  it('seeds the share of the expected companies, each as a manager typed it, with a valid seed file', () => {
    const expected = ds.truth.companies.length;
    expect(gen.counts.adoptable).toBe(Math.round(0.15 * expected));
    expect(gen.seed.companies).toHaveLength(gen.counts.adoptable + gen.counts.twins + gen.counts.invalidInn);
    expect(() => parseCrmSeed(gen.seed)).not.toThrow();
    const truth = new Set(ds.truth.companies);
    for (const [i, role] of gen.roles.entries()) {
      const c = gen.seed.companies[i]!;
      expect(c.requisites?.[0]?.inn).toBe(role.inn);
      if (role.role === 'invalidInn') continue;
      expect(truth.has(role.inn)).toBe(true);
      expect(c.title).not.toBe(ds.registry[role.inn]!.name);
      expect(c.comments).toBeTruthy();
      expect(c.assignedById).not.toBe(1);
    }
  });

  it('gives every seeded contact a channel of a real person of that same company, theirs alone', () => {
    const owners = channelOwners();
    const expectedPersons = new Set(ds.truth.contacts.map((c) => `${c.inn}|${c.personId}`));
    let checked = 0;
    for (const [i, role] of gen.roles.entries()) {
      const contacts = gen.seed.companies[i]!.contacts ?? [];
      if (role.role !== 'adoptable') {
        expect(contacts).toEqual([]);
        continue;
      }
      expect(contacts.length).toBe(role.personId === undefined ? 0 : 1);
      for (const k of contacts) {
        const channels = [
          ...parsePhones(k.phones ?? []).phones.map((p) => p.e164),
          ...parseEmails(k.emails ?? []).emails,
        ];
        expect(channels.length).toBeGreaterThan(0);
        for (const ch of channels) expect([...(owners.get(ch) ?? [])]).toEqual([`${role.inn}|${role.personId}`]);
        expect(expectedPersons.has(`${role.inn}|${role.personId}`)).toBe(true);
        expect(k.name).toBeTruthy();
        checked++;
      }
    }
    expect(checked).toBe(gen.counts.contacts);
    // companies with no live contact record, or no one with a channel of their own, get none
    expect(gen.counts.contacts).toBeGreaterThan(gen.counts.adoptable * 0.7);
  });

  it('adds twins (an INN twice, the twin later) and companies with a mistyped INN', () => {
    const byInn = new Map<string, number[]>();
    gen.seed.companies.forEach((c, i) =>
      byInn.set(c.requisites![0]!.inn, [...(byInn.get(c.requisites![0]!.inn) ?? []), i]),
    );
    const twice = [...byInn].filter(([, idx]) => idx.length > 1);
    expect(twice.length).toBe(gen.counts.twins);
    expect(gen.counts.twins).toBeGreaterThan(0);
    for (const [inn, [first, second]] of twice) {
      expect(gen.roles[first!]).toMatchObject({ role: 'adoptable', inn });
      expect(gen.roles[second!]).toEqual({ role: 'twin', inn });
    }
    const invalid = gen.roles.filter((r) => r.role === 'invalidInn');
    expect(invalid.length).toBe(gen.counts.invalidInn);
    expect(invalid.length).toBeGreaterThan(0);
    for (const r of invalid) {
      expect(validateInn(r.inn).valid).toBe(false);
      expect(gen.roles.some((x) => x.role === 'adoptable' && x.inn === r.trueInn)).toBe(false);
    }
  });

  it('is deterministic per seed', () => {
    expect(JSON.stringify(crmSeedFrom(ds, { share: 0.15, seed: 3 }))).toBe(JSON.stringify(gen));
    expect(JSON.stringify(crmSeedFrom(ds, { share: 0.15, seed: 4 }).seed)).not.toBe(JSON.stringify(gen.seed));
    expect(crmSeedFrom(ds, { share: 0, seed: 3 }).seed.companies).toEqual([]);
  });
});
