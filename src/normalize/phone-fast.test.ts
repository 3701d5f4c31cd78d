import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, generate, scales } from '../gen/dataset.js';
import { type Parsed, parseCandidate, parsePhones, parsePhonesReference, phoneCache } from './phone.js';
import { fastParseRu } from './phone-ru.js';

/**
 * The fast path for Russian numbers must answer exactly as libphonenumber-js does (e164, type, ext)
 * or not at all. Held here three ways: every phone field of the generated data, random RU digit
 * strings in random spellings, and whole fields (lists, extensions, labels) through parsePhones
 * against parsePhonesReference (libphonenumber-js for every candidate, no cache).
 *
 * One-off over the full seed-scale data (`generate(scales.seed, 1)`), about 100 s, so not in CI:
 * PHONE_SEED_CHECK=1 npx vitest run src/normalize/phone-fast.test.ts. On 2026-12-02 (libphonenumber-js
 * 1.13.16) it compared 875 358 phone fields holding 816 806 numbers, 791 596 of them through the
 * fast path: no difference.
 */

type Field = string | readonly string[] | null;

/** Every phone field of a dataset, as the mappers get them (Shop B events parsed as the decoder would). */
function phoneFields(ds: Dataset): Field[] {
  const fields: Field[] = [];
  for (const r of ds.shopA.companies) fields.push(r.phone);
  for (const r of ds.shopA.contacts) fields.push(r.phone);
  const partner = (p: { phones?: unknown; contacts?: unknown }) => {
    if (Array.isArray(p.phones)) fields.push(p.phones as string[]);
    if (Array.isArray(p.contacts))
      for (const c of p.contacts as Array<{ phones?: unknown }>)
        if (Array.isArray(c.phones)) fields.push(c.phones as string[]);
  };
  for (const p of ds.shopB.dump) partner(p);
  for (const e of ds.shopB.events) {
    try {
      const v = JSON.parse(e.value) as { partner?: { phones?: unknown; contacts?: unknown } } | null;
      if (v?.partner) partner(v.partner);
    } catch {
      /* poison message: no phones */
    }
  }
  return fields;
}

/**
 * Candidates as parsePhones hands them on: the field less a trailing extension, as written and in
 * the '+7…' form the eleven-digit rewrite gives. The fast path must agree on any input it answers.
 */
function candidates(text: string): string[] {
  const main = text.replace(/\s*(?:доб\.?|ext\.?|вн\.?)\s*\d+$/u, '');
  const digits = main.replace(/\D/gu, '');
  return digits.length === 11 ? [main, `+7${digits.slice(1)}`] : [main];
}

/** Compares one candidate; true when the fast path answered. */
function agrees(candidate: string): boolean {
  const fast: Parsed | undefined = fastParseRu!(candidate);
  if (fast === undefined) return false;
  const slow: Parsed = parseCandidate(candidate);
  expect(slow, candidate).not.toBeNull();
  expect({ e164: fast?.e164, type: fast?.type, ext: fast?.ext }, candidate).toEqual({
    e164: slow?.e164,
    type: slow?.type,
    ext: slow?.ext,
  });
  return true;
}

function checkFields(fields: readonly Field[]): { fields: number; numbers: number; fast: number } {
  phoneCache.clear();
  let n = 0;
  let fast = 0;
  for (const f of fields) {
    expect(parsePhones(f), JSON.stringify(f)).toEqual(parsePhonesReference(f));
    for (const text of f == null ? [] : typeof f === 'string' ? [f] : f) {
      n++;
      // Both spellings are compared; the text counts once when either took the fast path.
      if (candidates(text).map(agrees).includes(true)) fast++;
    }
  }
  return { fields: fields.length, numbers: n, fast };
}

describe('Russian phone fast path', () => {
  it('is on: libphonenumber-js metadata for RU has the shape it relies on', () => {
    expect(fastParseRu).toBeDefined();
  });

  it.each([
    ['+74955005550', '+74955005550', 'FIXED_LINE'],
    ['8 (495) 500-55-50', undefined, undefined], // eleven digits without '+': parsePhones rewrites it to '+7…' first
    ['(495) 500-55-50', '+74955005550', 'FIXED_LINE'],
    ['+7 916 123-45-67', '+79161234567', 'MOBILE'],
    ['8005555550', '+78005555550', 'TOLL_FREE'],
    ['+7 809 555 55 50', '+78095555550', 'PREMIUM_RATE'],
    ['+7 808 555 55 50', '+78085555550', 'PERSONAL_NUMBER'],
    ['+7 8552 39-40-41', '+78552394041', 'FIXED_LINE'],
    ['+7 701 123 45 67', undefined, undefined], // +7 7…: Kazakhstan, left to libphonenumber-js
    ['+7 123 456 78 90', undefined, undefined], // no such range: libphonenumber-js says why
    ['8101234567', undefined, undefined], // 810 is the international prefix
    ['+7 495 500-55-50 доб. 1', undefined, undefined],
  ])('%s → %s %s', (candidate, e164, type) => {
    const fast = fastParseRu!(candidate);
    expect(fast === undefined ? [undefined, undefined] : [fast?.e164, fast?.type]).toEqual([e164, type]);
    if (fast !== undefined) expect(fast).toEqual(parseCandidate(candidate));
  });

  describe('every phone field of the small-scale data set', () => {
    let ds: Dataset;
    beforeAll(() => {
      ds = generate(scales.small, 1);
    });
    it('parses as libphonenumber-js does, most numbers through the fast path', () => {
      const r = checkFields(phoneFields(ds));
      expect(r.fields).toBeGreaterThan(1000);
      // The generator writes Russian mobiles and switchboards only: nearly all take the fast path.
      expect(r.fast / r.numbers).toBeGreaterThan(0.9);
    });
  });

  // Ten national digits, often in a RU range (9 mobile, 3/4/8 fixed, 80x special), sometimes not.
  const national = fc
    .tuple(
      fc.constantFrom(
        '',
        '9',
        '93',
        '930',
        '9300',
        '3',
        '4',
        '49',
        '8',
        '80',
        '800',
        '804',
        '808',
        '809',
        '81',
        '810',
        '8108',
        '7',
        '0',
        '1',
        '2',
        '5',
        '6',
      ),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 12 }),
      fc.constantFrom(10, 10, 10, 10, 10, 9, 11, 8, 12),
    )
    .map(([head, tail, len]) => (head + tail.join('')).slice(0, len));
  const prefix = fc.constantFrom('', '', '8', '8 ', '+7', '+7 ', '+ 7 ', '7', '7 ', '+8 ', '+', '810 ', '+375 ', ' ');
  const sep = fc.constantFrom('', ' ', ' ', '-', '.', '  ', ' - ');
  /** A national number spelled with random separators, its first three digits sometimes in ( ). */
  const spelled = fc
    .tuple(prefix, national, fc.array(sep, { minLength: 12, maxLength: 12 }), fc.boolean())
    .map(([p, n, seps, paren]) => {
      const area = paren ? `(${n.slice(0, 3)})` : n.slice(0, 3);
      let rest = '';
      for (let i = 3; i < n.length; i++) rest += (i === 3 || i === 6 || i === 8 ? seps[i]! : '') + n[i];
      return `${p}${area}${rest}`;
    });
  const extension = fc.constantFrom(
    '',
    '',
    '',
    ' доб. 123',
    ' доб 12',
    ', доб. 7',
    ' ext. 45',
    ' ext 5',
    ' вн. 5',
    ' #7',
    'x12',
    ' x 3',
    ' добавочный 1000',
  );

  it('random Russian spellings: where the fast path answers, it is libphonenumber-js field by field', () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(spelled, (s) => {
        runs++;
        if (candidates(s).map(agrees).includes(true)) answered++;
      }),
      { numRuns: 3000 },
    );
    // Not a vacuous property: a good share of the random spellings are fast-path numbers.
    expect(answered / runs).toBeGreaterThan(0.15);
  });

  it('random fields (lists, extensions, labels): parsePhones equals parsePhonesReference', () => {
    phoneCache.clear();
    const label = fc.constantFrom('', '', 'тел.: ', 'моб. ', 'Phone: ');
    const number = fc.tuple(label, spelled, extension).map(([l, s, e]) => `${l}${s}${e}`);
    const joiner = fc.constantFrom(', ', '; ', ' / ', ' или ', '\n', ' ', ', доб. 9, ');
    // Numbers repeated (with and without an extension) exercise the de-duplication.
    const field = fc
      .tuple(fc.array(number, { minLength: 1, maxLength: 3 }), joiner, fc.nat(3))
      .map(([ns, j, repeat]) => [...ns, ...ns.slice(0, repeat)].join(j));
    fc.assert(
      fc.property(fc.oneof(field, fc.array(field, { maxLength: 3 })), (f) => {
        expect(parsePhones(f)).toEqual(parsePhonesReference(f));
      }),
      { numRuns: 2000 },
    );
  });

  it.runIf(process.env.PHONE_SEED_CHECK === '1')(
    'every phone field of the full seed-scale data set (one-off)',
    async () => {
      const fields = phoneFields(generate(scales.seed, 1));
      const r = { fields: 0, numbers: 0, fast: 0 };
      for (let i = 0; i < fields.length; i += 20_000) {
        const part = checkFields(fields.slice(i, i + 20_000));
        r.fields += part.fields;
        r.numbers += part.numbers;
        r.fast += part.fast;
        await new Promise(setImmediate); // lets the vitest worker answer its runner
      }
      console.log(`seed scale: ${r.fields} phone fields, ${r.numbers} numbers, ${r.fast} through the fast path`);
      expect(r.fast / r.numbers).toBeGreaterThan(0.9);
    },
    600_000,
  );
});
