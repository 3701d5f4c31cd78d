import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountKey, validateAccount } from './account.js';
import { cleanIdentifier } from './clean.js';
import { innCheckDigits, validateInn } from './inn.js';
import { ogrnCheckDigit, validateOgrn } from './ogrn.js';
import { ogrnipCheckDigit, validateOgrnip } from './ogrnip.js';

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));

const inn10 = digits(9).map((b) => b + innCheckDigits(b));
const inn12 = digits(10).map((b) => b + innCheckDigits(b));
const ogrn = fc.tuple(fc.constantFrom('1', '5'), digits(11)).map(([p, b]) => p + b + ogrnCheckDigit(p + b));
const ogrnip = digits(13).map((b) => `3${b}${ogrnipCheckDigit(`3${b}`)}`);

/** Raw remainders (before the final mod 10) of each INN check, over the digits as given. */
function innRemainders(inn: string): number[] {
  const sum = (w: number[]) => w.reduce((acc, wi, i) => acc + wi * Number(inn[i]), 0) % 11;
  return inn.length === 10
    ? [sum([2, 4, 10, 3, 5, 9, 4, 6, 8])]
    : [sum([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]), sum([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])];
}

/** Every way of changing exactly one digit of `s` to another digit. */
function singleDigitChange(s: string) {
  return fc
    .tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 1, max: 9 }))
    .map(([i, delta]) => s.slice(0, i) + String((Number(s[i]) + delta) % 10) + s.slice(i + 1));
}

describe('identifier properties', () => {
  // (Σ wᵢdᵢ mod 11) mod 10 maps remainders 0 and 10 to the same check digit, so a single-digit
  // change of the body of an INN is caught unless it moves a remainder between 0 and 10 (about
  // 1 change in 55). The property states exactly that; a change of a check digit always fails.
  it('a generated 10- or 12-digit INN passes; a single-digit change fails unless a remainder moves 0↔10', () => {
    fc.assert(
      fc.property(
        fc.oneof(inn10, inn12).chain((v) => fc.tuple(fc.constant(v), singleDigitChange(v))),
        ([v, changed]) => {
          expect(validateInn(v).valid).toBe(true);
          const r = validateInn(changed);
          if (r.valid) {
            const before = innRemainders(v);
            const after = innRemainders(changed);
            before.forEach((b, i) => expect(new Set([b, after[i]])).toEqual(new Set([0, 10])));
          } else {
            expect(r.reason).toBe('checksum');
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('changing a check digit of an INN always fails', () => {
    fc.assert(
      fc.property(fc.oneof(inn10, inn12), fc.integer({ min: 1, max: 9 }), fc.boolean(), (v, d, last) => {
        const i = v.length === 10 || last ? v.length - 1 : v.length - 2;
        const changed = v.slice(0, i) + String((Number(v[i]) + d) % 10) + v.slice(i + 1);
        expect(validateInn(changed)).toEqual({ valid: false, reason: 'checksum' });
      }),
    );
  });

  // A single-digit change of the body of an OGRN can keep the check digit only when the change
  // is a multiple of 11 in value — impossible for one digit (|Δ|·10^k, 11 ∤ 10^k, |Δ| ≤ 9). The
  // check digit itself is taken mod 10 of a remainder < 11, so for a remainder of 0 or 10 both
  // give 0: a change that moves the remainder from 0 to 10 keeps it valid. Same for OGRNIP with
  // remainders {0,10},{1,11},{2,12}. So the property is "fails unless the remainders collide".
  it('a generated OGRN passes; a single-digit change fails unless the remainders map to the same digit', () => {
    fc.assert(
      fc.property(
        ogrn.chain((v) => fc.tuple(fc.constant(v), singleDigitChange(v))),
        ([v, changed]) => {
          expect(validateOgrn(v).valid).toBe(true);
          const r = validateOgrn(changed);
          const sameCheck = ogrnCheckDigit(changed.slice(0, 12)) === Number(changed[12]);
          const goodPrefix = changed[0] === '1' || changed[0] === '5';
          expect(r.valid).toBe(sameCheck && goodPrefix);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a generated OGRNIP passes; a single-digit change fails unless the remainders map to the same digit', () => {
    fc.assert(
      fc.property(
        ogrnip.chain((v) => fc.tuple(fc.constant(v), singleDigitChange(v))),
        ([v, changed]) => {
          expect(validateOgrnip(v).valid).toBe(true);
          const sameCheck = ogrnipCheckDigit(changed.slice(0, 14)) === Number(changed[14]);
          expect(validateOgrnip(changed).valid).toBe(sameCheck && changed[0] === '3');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a single change of the check digit of an OGRN / OGRNIP always fails', () => {
    fc.assert(
      fc.property(ogrn, ogrnip, fc.integer({ min: 1, max: 9 }), (o, ip, d) => {
        const bump = (s: string) => s.slice(0, -1) + String((Number(s.at(-1)) + d) % 10);
        expect(validateOgrn(bump(o))).toEqual({ valid: false, reason: 'checksum' });
        expect(validateOgrnip(bump(ip))).toEqual({ valid: false, reason: 'checksum' });
      }),
    );
  });

  it('an account given its computed key passes; any single-digit change fails', () => {
    const bik = fc
      .tuple(digits(4), fc.integer({ min: 50, max: 999 }))
      .map(([mid, inst]) => `04${mid}${String(inst).padStart(3, '0')}`);
    fc.assert(
      fc.property(bik, digits(20), (b, raw) => {
        const acc = raw.slice(0, 8) + accountKey(raw, b) + raw.slice(9);
        expect(validateAccount(acc, b).valid).toBe(true);
        // Weights 7,1,3 are all coprime to 10, so any one-digit change breaks the key.
        for (let i = 0; i < 20; i++) {
          const changed = acc.slice(0, i) + String((Number(acc[i]) + 1 + (i % 9)) % 10) + acc.slice(i + 1);
          expect(validateAccount(changed, b).valid).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cleanIdentifier is idempotent and keeps valid INNs valid through spacing and dashes', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(cleanIdentifier(cleanIdentifier(s))).toBe(cleanIdentifier(s));
      }),
    );
    fc.assert(
      fc.property(
        inn10,
        fc.array(fc.constantFrom(' ', '-', '\u00A0', '–', '.'), { minLength: 10, maxLength: 10 }),
        (v, seps) => {
          const dirty = [...v].map((c, i) => c + (seps[i] ?? '')).join('');
          expect(cleanIdentifier(dirty)).toBe(v);
          expect(validateInn(cleanIdentifier(dirty)).valid).toBe(true);
        },
      ),
    );
  });
});

describe('cleanIdentifier', () => {
  it.each([
    ['77 07-083 893', '7707083893'],
    [' ИНН: 7707083893 ', '7707083893'],
    ['７７０７０８３８９３', '7707083893'],
    ['0108А4934', '0108A4934'], // Cyrillic А in a KPP
    ['044 525 225', '044525225'],
    [null, ''],
    ['   ', ''],
  ])('%j → %j', (raw, clean) => expect(cleanIdentifier(raw)).toBe(clean));
});
