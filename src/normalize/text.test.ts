import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanOptional, cleanText, normalizeQuotes, scrubText } from './text.js';

describe('cleanText and cleanOptional shortcuts', () => {
  // Every white-space and invisible character either regex knows, its neighbours, and plain text.
  const special = [
    ...'\u0000\u0008\t\n\u000B\u000C\r\u000E\u001F\u007F\u0080\u009F\u00A0\u00AD\u1680\u2000\u200A\u200B\u200F\u2010\u2027\u2028\u2029\u202A\u202E\u202F\u2030\u205E\u205F\u2060\u2064\u2065\u3000\uFEFF',
  ];
  const char = fc.oneof(
    fc.constantFrom(' ', ' ', 'a', 'Я', '.', "'", ...special, ...'«»“”„‟″〝〞＂"‘’'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );

  it('returns what the full cleaning returns, for any string; so does cleanOptional', () => {
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 12 }).map((a) => a.join('')),
        (s) => {
          expect(cleanText(s)).toBe(scrubText(s));
          const full = normalizeQuotes(scrubText(s));
          expect(cleanOptional(s)).toBe(full === '' ? undefined : full);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it.each(['ООО "Ромашка"', ' x', 'x ', 'a  b', 'a\u00A0b', 'a\u200Bb', '\uFEFFx', 'a\tb', ''])('%j', (s) => {
    expect(cleanText(s)).toBe(scrubText(s));
  });
});
