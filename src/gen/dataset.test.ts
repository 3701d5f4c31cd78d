import { describe, expect, it } from 'vitest';
import { validateInn } from '../identifiers/index.js';
import { contactMatchKeys } from '../resolve/match-keys.js';
import { mapShopAContact } from '../mappers/shop-a.js';
import { mapPartner } from '../mappers/shop-b.js';
import { SHOP_A, SHOP_B, shopACompanyId, shopBCompanyId } from '../mappers/source-ids.js';
import type { Contact } from '../model/canonical.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { Resolver } from '../resolve/resolver.js';
import { company, contact, person, upsert } from '../resolve/fixtures.js';
import { generate, reachable, scales } from './dataset.js';
import { evaluateDedup } from './evaluate.js';

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
    expect(
      ds.shopB.events.some((e) => {
        try {
          JSON.parse(e.value);
          return false;
        } catch {
          return true;
        }
      }),
    ).toBe(true);
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

  // The mapped contact records of the set, by truth key, with the person the truth says they are.
  const mapped = (d: typeof ds) => {
    const out = new Map<string, { c: Contact; person: number }>();
    const add = (c: Contact) => {
      const r = d.truth.contactRecords[`${c.source}|${c.sourceId}`];
      if (r) out.set(`${c.source}|${c.sourceId}`, { c, person: r.person });
    };
    for (const row of d.shopA.contacts) {
      const o = mapShopAContact(row);
      if (o.ok && o.value.kind === 'contact') add(o.value.contact);
    }
    for (const p of d.shopB.dump) {
      const o = mapPartner(p);
      if (o.ok && o.value.kind === 'company') o.value.contacts.forEach(add);
    }
    return out;
  };

  it("has a truth that owes nothing to the matching rules: no key shared by all of a person's records, hard cases of each kind", () => {
    const recs = [...mapped(ds).values()];
    const byPerson = new Map<number, Contact[]>();
    for (const { c, person } of recs) byPerson.set(person, [...(byPerson.get(person) ?? []), c]);
    const none = { phones: new Set<string>(), emails: new Set<string>() };
    // Some person has records with no key in common at all (initials only, a changed e-mail…).
    const unlinked = [...byPerson.values()].filter(
      (cs) =>
        cs.length > 1 &&
        cs.every((c, i) =>
          cs.every((d, j) => i === j || !contactMatchKeys(c, none).some((k) => contactMatchKeys(d, none).includes(k))),
        ),
    );
    expect(unlinked.length).toBeGreaterThan(0);
    // Hard negatives: two people of one company with the same full name (namesakes), a father and son.
    const names = new Map<string, number[]>();
    for (const [key, r] of Object.entries(ds.truth.contactRecords)) {
      const c = recs.find((x) => `${x.c.source}|${x.c.sourceId}` === key)?.c;
      if (!c?.lastName || !c.firstName || !c.middleName || c.firstName.endsWith('.')) continue;
      const n = `${r.inn}|${c.lastName}|${c.firstName}|${c.middleName}`.toLowerCase().replace(/ё/g, 'е');
      names.set(n, [...new Set([...(names.get(n) ?? []), r.person])]);
    }
    expect([...names.values()].some((ps) => ps.length > 1)).toBe(true);
    // Hard positives: names in one field of Shop B, initials, Latin, a typo in an e-mail's local part.
    expect(
      ds.shopB.dump.some((p) =>
        p.contacts.some((c) => c.firstName === null && (c.lastName ?? '').split(' ').length === 3),
      ),
    ).toBe(true);
    expect(ds.shopA.contacts.some((c) => /^\S+ \S\. \S\.$/u.test(c.full_name ?? ''))).toBe(true);
    expect(ds.shopA.contacts.some((c) => /^[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+$/u.test(c.full_name ?? ''))).toBe(true);
  });

  it('names the dirt of every company record: its INN as written, deleted or not, its register status', () => {
    const d = generate(scales.small, 7);
    const written = new Map<string, string>([
      ...d.shopA.companies.map((r) => [`${SHOP_A}|${shopACompanyId(r.id)}`, r.inn ?? ''] as const),
      ...d.shopB.dump.map(
        (p) =>
          [
            `${SHOP_B}|${shopBCompanyId(p.partnerId)}`,
            p.taxNumbers.find((t) => t.type === 'INN')?.value ?? '',
          ] as const,
      ),
    ]);
    const fates = new Set<string>();
    for (const [key, inn] of written) {
      const r = d.truth.companyRecords[key]!;
      const digits = inn.replace(/\D/g, '');
      fates.add(r.inn);
      if (r.inn === 'missing') expect(digits).toBe('');
      else if (r.inn === 'invalid') expect(digits === r.realInn || validateInn(digits).valid).toBe(false);
      else expect(digits).toBe(r.realInn);
      if (key.startsWith(SHOP_A))
        expect(r.deleted).toBe(
          d.shopA.companies.find((c) => `${SHOP_A}|${shopACompanyId(c.id)}` === key)!.status === 'deleted',
        );
      expect(r.register === 'UNKNOWN').toBe(d.registry[r.realInn] === undefined);
    }
    expect([...fates].sort()).toEqual(['invalid', 'missing', 'ok']);
    expect(Object.keys(d.truth.companyRecords).length).toBe(d.shopA.companies.length + d.truth.counts.shopBPartners!);
  });

  it('the reachable variant keeps every record of a person linkable by a full name', () => {
    const d = generate(reachable(scales.small), 7);
    for (const { c } of mapped(d).values()) {
      expect(c.lastName && c.firstName && c.middleName && !c.firstName.endsWith('.'), JSON.stringify(c)).toBeTruthy();
    }
  });
});

describe('evaluateDedup', () => {
  const INN = '7707083893';
  const truth = (owners: Record<string, number>, live = true) => ({
    companies: [INN],
    contacts: [],
    contactOwners: owners,
    counts: {},
    companyRecords: {},
    contactRecords: Object.fromEntries(Object.entries(owners).map(([k, p]) => [k, { person: p, inn: INN, live }])),
  });

  it('scores pairs and clusters over every record, a record that reached no golden contact as missed', async () => {
    const store = new MemoryStateStore();
    const resolver = new Resolver(store, { now: () => new Date('2024-06-01T00:00:00Z') });
    let n = 0;
    for (const ch of [
      upsert(company({ inn: INN })),
      person(contact({ sourceId: 'a', emails: ['x@y.ru'] })),
      person(contact({ sourceId: 'b', emails: ['x@y.ru'] })), // person 1, merged
      person(contact({ sourceId: 'c', emails: ['z@y.ru'] })), // person 1 too, split off
      person(contact({ sourceId: 'd', lastName: 'Иванов', firstName: 'Иван' })),
      person(contact({ sourceId: 'e', lastName: 'Иванов', firstName: 'Иван' })), // persons 2 and 3, merged
    ])
      await resolver.resolve(ch, { ref: `p@${n++}` });
    await resolver.flush();
    // f (person 4) never reached the store: missed.
    const s = await evaluateDedup(
      store,
      truth({ 'shop-a|a': 1, 'shop-a|b': 1, 'shop-a|c': 1, 'shop-a|d': 2, 'shop-a|e': 3, 'shop-a|f': 4 }),
    );
    // true pairs: ab, ac, bc (3); predicted: ab, de (2); true predicted: ab (1)
    expect(s.contacts.pairwise).toMatchObject({ truePairs: 1, predictedPairs: 2, actualPairs: 3, precision: 0.5 });
    expect(s.contacts.recall).toBeCloseTo(1 / 3);
    // golden: {a,b}, {c}, {d,e}; persons: 1, 2, 3, 4; exact: none of them
    expect(s.contacts.cluster).toMatchObject({ exact: 0, golden: 3, persons: 4, precision: 0, recall: 0 });
    expect(s.contacts).toMatchObject({ records: 6, missedRecords: 1, overMerged: 1, split: 1 }); // f alone is missed, not split
    expect(s.companies).toEqual({ expected: 1, golden: 1, missing: 0, extra: 0 });
    // c holds no name key; d and e are joined by one full name.
    expect(s.contacts.causes).toEqual({
      split: { initialsOrNoSurname: 1, noPatronymic: 0, nameAmbiguous: 0, noCommonKey: 0, noGoldenContact: 0 },
      overMerged: { sameFullName: 1, other: 0 },
    });
    // A record of a deleted or invalid company record need not reach anything.
    expect((await evaluateDedup(store, truth({ 'shop-a|f': 4 }, false))).contacts.records).toBe(0);
  });
});
