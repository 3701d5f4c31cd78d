import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELETE, anyJson, goodEvents, goodPartners, mutated, runs } from '../../test/fuzz/harness.js';
import { generate, scales } from '../gen/dataset.js';
import { checkPartner, checkShopBEvent } from './shop-b.check.js';
import { Partner, ShopBEvent } from './shop-b.schema.js';

/** A value with its key order made visible: objects become [key, value] lists, undefined kept. */
function ordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(ordered);
  if (v && typeof v === 'object') return Object.keys(v).map((k) => [k, ordered((v as Record<string, unknown>)[k])]);
  return v;
}

/** The hand check either passes (undefined) or gives exactly zod's value, keys and order included. */
function expectSameAsZod(
  check: (x: unknown) => unknown,
  schema: typeof Partner | typeof ShopBEvent,
  input: unknown,
): boolean {
  const fast = check(input);
  if (fast === undefined) return false;
  const zod = schema.safeParse(input);
  expect(zod.success, `zod rejects what the hand check took: ${JSON.stringify(input)}`).toBe(true);
  expect(ordered(fast)).toStrictEqual(ordered(zod.data));
  return true;
}

// Values that sit on the schema's edges: empty strings, numbers for strings, nulls, wrong containers.
const edge = fc.constantFrom<unknown>(
  '',
  ' ',
  'ORG',
  'IE',
  'PARTNER_UPSERT',
  '2024-01-01T00:00:00Z',
  '2024-01-01T00:00:00',
  '2024-02-30T00:00:00Z',
  0,
  -1,
  1.5,
  1e21,
  Infinity,
  Number.NaN,
  null,
  true,
  false,
  [],
  {},
  [''],
  [null],
  [1],
  { type: 'INN', value: 1 },
  { contactId: 0 },
  DELETE,
);

describe('Shop B hand check = zod', () => {
  it("every dump partner and every event of a generated data set takes the hand check, with zod's value", () => {
    const ds = generate(scales.small, 1);
    let events = 0;
    for (const p of ds.shopB.dump) expect(expectSameAsZod(checkPartner, Partner, p)).toBe(true);
    for (const e of ds.shopB.events) {
      let json: unknown;
      try {
        json = JSON.parse(e.value);
      } catch {
        continue; // poison message: not JSON
      }
      const upsert = (json as { type?: unknown }).type === 'PARTNER_UPSERT' && ShopBEvent.safeParse(json).success;
      expect(expectSameAsZod(checkShopBEvent, ShopBEvent, json)).toBe(upsert);
      if (upsert) events++;
    }
    expect(events).toBeGreaterThan(50);
  });

  it("partners with one field anywhere replaced or removed: passed to zod, or zod's value exactly", () => {
    let taken = 0;
    fc.assert(
      fc.property(mutated(goodPartners, fc.oneof(anyJson, edge)), (m) => {
        if (expectSameAsZod(checkPartner, Partner, m.value)) taken++;
      }),
      { numRuns: runs(3000) },
    );
    expect(taken).toBeGreaterThan(0); // mutations that keep the partner valid (a string for a string) take the hand check
  });

  it("events with one field anywhere replaced or removed: passed to zod, or zod's value exactly", () => {
    const events = goodEvents.map((e) => JSON.parse(e) as unknown);
    fc.assert(
      fc.property(mutated(events, fc.oneof(anyJson, edge)), (m) => {
        expectSameAsZod(checkShopBEvent, ShopBEvent, m.value);
      }),
      { numRuns: runs(3000) },
    );
  });

  it('any JSON, and objects JSON cannot make, are passed to zod unless zod takes them the same way', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyJson, fc.anything({ withNullPrototype: true, withBoxedValues: true, withSparseArray: true })),
        (v) => {
          expectSameAsZod(checkPartner, Partner, v);
          expectSameAsZod(checkShopBEvent, ShopBEvent, v);
        },
      ),
      { numRuns: runs(2000) },
    );
    const p = goodPartners[0]!;
    for (const odd of [
      Object.assign(Object.create(null) as object, p),
      { ...p, contacts: [Object.assign(Object.create(null) as object, { contactId: 'c' })] },
      { ...p, phones: Object.assign(new Array<string>(2), { 1: '1' }) },
    ]) {
      expect(checkPartner(odd)).toBeUndefined();
    }
  });

  it('the transforms: nullish lists → [], numbers → strings, blocked → false, absent optional text stays absent', () => {
    const p = {
      partnerId: 'P',
      kind: 'ORG',
      name: 'N',
      taxNumbers: [{ type: 'INN', value: 7707083893 }],
      phones: null,
      changedAt: '2024-01-01T00:00:00+03:00',
      contacts: [{ contactId: 5, lastName: null }],
    };
    expect(expectSameAsZod(checkPartner, Partner, p)).toBe(true);
    expect(checkPartner(p)).toStrictEqual({
      partnerId: 'P',
      kind: 'ORG',
      name: 'N',
      taxNumbers: [{ type: 'INN', value: '7707083893' }],
      phones: [],
      emails: [],
      bankAccounts: [],
      blocked: false,
      changedAt: '2024-01-01T00:00:00+03:00',
      contacts: [{ contactId: '5', lastName: null, phones: [], emails: [] }],
    });
  });
});
