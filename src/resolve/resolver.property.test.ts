import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalChange, Contact, Phone } from '../model/index.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { at, company, contact, del, person, upsert } from './fixtures.js';
import { Resolver } from './resolver.js';

/**
 * Arrival order must not matter: any permutation of the same source records (versions and
 * deletes included, each with its own change time) gives the same golden sets. Golden contact
 * ids and merge history depend on order by design (the older id survives), so they are left
 * out; everything the CRM would see is compared.
 */

const inns = ['7707083893', '7736207543'];
const emails = ['a@x.ru', 'b@x.ru', 'info@x.ru'];
const phones: Phone[] = [
  { e164: '+79160000001', type: 'MOBILE' },
  { e164: '+74950000000', type: 'FIXED_LINE' },
  { e164: '+74950000000', ext: '1', type: 'FIXED_LINE' },
  { e164: '+74950000000', ext: '2', type: 'FIXED_LINE' },
];
// Initials and a first name alone too: they join the one full name they fit, which depends on
// the whole company (partial-names.ts), so order independence must hold for them as well.
const names: Array<Pick<Contact, 'lastName' | 'firstName' | 'middleName'>> = [
  { lastName: 'Иванов', firstName: 'Иван' },
  { lastName: 'иванов', firstName: 'Пётр' },
  { lastName: 'Петров', firstName: 'Иван' },
  { lastName: 'Иванов', firstName: 'И.' },
  { lastName: 'Иванов', firstName: 'П.', middleName: 'И.' },
  { firstName: 'Пётр' },
  {},
];

const contactFields = fc.record({
  emails: fc.subarray(emails, { maxLength: 2 }),
  phones: fc.subarray(phones, { maxLength: 2 }),
  name: fc.constantFrom(...names),
});

/** Distinct change times drawn per record version, so "newest" is always defined. */
const scenario = fc.record({
  shopA: fc.array(
    fc.record({
      inn: fc.constantFrom(...inns),
      name: fc.constantFrom('A1', 'A2', ''),
      phone: fc.boolean(),
      email: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  shopAVersions: fc.array(
    fc.record({ id: fc.nat(2), inn: fc.constantFrom(...inns), name: fc.constantFrom('A3', '') }),
    { maxLength: 2 },
  ),
  shopAContacts: fc.array(fc.record({ companyId: fc.nat(3), f: contactFields }), { maxLength: 6 }),
  shopB: fc.array(fc.record({ inn: fc.constantFrom(...inns), contacts: fc.array(contactFields, { maxLength: 3 }) }), {
    maxLength: 2,
  }),
  deletes: fc.array(fc.record({ entity: fc.constantFrom('company' as const, 'contact' as const), id: fc.nat(5) }), {
    maxLength: 2,
  }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): CanonicalChange[] {
  let t = 0;
  const tick = () => at(++t);
  const out: CanonicalChange[] = [];
  const toContact = (f: Scenario['shopAContacts'][number]['f'], over: Partial<Contact>): Contact =>
    contact({ emails: f.emails, phones: f.phones, ...f.name, ...over });
  s.shopA.forEach((c, i) =>
    out.push(
      upsert(
        company({
          inn: c.inn,
          sourceId: String(i),
          changedAt: tick(),
          name: c.name || `Co ${i}`,
          phones: c.phone ? [phones[1]!] : [],
          emails: c.email ? ['info@x.ru'] : [],
        }),
      ),
    ),
  );
  for (const v of s.shopAVersions) {
    out.push(
      upsert(
        company({ inn: v.inn, sourceId: String(v.id), changedAt: tick(), name: v.name || 'Co v', address: 'addr' }),
      ),
    );
  }
  s.shopAContacts.forEach((c, i) =>
    out.push(
      person(
        toContact(c.f, {
          sourceId: `c${i}`,
          changedAt: tick(),
          company: { source: 'shop-a', sourceId: String(c.companyId) },
        }),
      ),
    ),
  );
  s.shopB.forEach((p, i) =>
    out.push(
      upsert(
        company({
          source: 'shop-b',
          sourceId: `P${i}`,
          inn: p.inn,
          changedAt: tick(),
          name: `B ${i}`,
          kpp: '773601001',
        }),
        p.contacts.map((f, j) =>
          toContact(f, { source: 'shop-b', sourceId: `P${i}/C-${j}`, changedAt: at(0), company: null }),
        ),
      ),
    ),
  );
  for (const d of s.deletes) {
    out.push(
      d.entity === 'company'
        ? del('company', 'shop-a', String(d.id % 3), tick())
        : del('contact', 'shop-a', `c${d.id}`, tick()),
    );
  }
  return out;
}

async function goldenSets(changes: readonly CanonicalChange[]) {
  const store = new MemoryStateStore();
  const resolver = new Resolver(store, { now: () => new Date('2024-06-01T00:00:00Z') });
  // Concurrent submission on purpose: the resolver must serialize per company by itself.
  await Promise.all(changes.map((c, i) => resolver.resolve(c, { ref: `p0@${i}` })));
  const companies: unknown[] = [];
  for await (const [, c] of store.iterate('companies')) {
    if (Object.keys(c.contributions).length === 0) continue;
    companies.push({
      inn: c.inn,
      status: c.status,
      record: c.record,
      hash: c.hash,
      delivery: c.delivery,
      members: Object.keys(c.contributions).sort(),
      contacts: c.contactIds.length,
    });
  }
  const contacts: string[] = [];
  for await (const [, c] of store.iterate('contacts')) {
    if (Object.keys(c.contributions).length === 0) continue;
    const { id: _id, ...record } = c.record ?? { id: '' };
    contacts.push(
      JSON.stringify({
        inn: c.inn,
        status: c.status,
        record,
        delivery: c.delivery,
        keys: c.keys,
        members: Object.keys(c.contributions).sort(),
      }),
    );
  }
  const parked: string[] = [];
  for await (const [k, l] of store.iterate('links')) if (l.entity === 'contact' && l.parked) parked.push(k);
  return { companies, contacts: contacts.sort(), parked };
}

describe('resolution is independent of arrival order', () => {
  it('gives the same golden sets for any permutation of the same records', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario.chain((s) => {
          const changes = build(s);
          return fc.tuple(
            fc.constant(changes),
            fc.shuffledSubarray(changes, { minLength: changes.length, maxLength: changes.length }),
          );
        }),
        async ([ordered, shuffled]) => {
          expect(await goldenSets(shuffled)).toEqual(await goldenSets(ordered));
        },
      ),
      { numRuns: 300 },
    );
  });
});
