/**
 * Text cleaning for display values: the same string a person meant, without the noise that
 * copy-paste and old databases add. Folding (case, ё) is NOT done here — see src/resolve/fold.ts.
 */

// C0/C1 controls, DEL, and invisible format characters (ZW space/joiners, BOM, soft hyphen,
// bidi marks) that a user never meant to type. Tab/CR/LF are white space and handled below.
const CONTROLS =
  // eslint-disable-next-line no-control-regex -- matching control characters is this regex's job
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/gu;
// Every Unicode space separator plus tab/newlines: NBSP, narrow NBSP, en/em spaces, ideographic…
const SPACES = /[\s\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/gu;
// Double-quote styles seen in Russian company names: «» “” „ ‟ ″ 〝〞 ＂ and the ASCII one.
const DOUBLE_QUOTES = /[«»“”„‟″〝〞＂"]/gu;

// Anything cleanText would change: a CONTROLS character, white space other than a single inner
// ' ' (the characters of \s, and what trim() removes, are all here), or a space at an end or doubled.
const DIRTY =
  // eslint-disable-next-line no-control-regex -- see CONTROLS
  /[\u0000-\u001F\u007F-\u009F\u00A0\u00AD\u1680\u2000-\u200F\u2028-\u202F\u205F-\u2064\u3000\uFEFF]|^ | $| {2}/u;

/** Trim, collapse runs of any white space to one space, drop control/invisible characters. */
export function cleanText(s: string): string {
  // Most values have nothing to clean: one test instead of two replaces and a trim.
  return DIRTY.test(s) ? scrubText(s) : s;
}

/** cleanText without its shortcut: what it must return for every string (text.test.ts). */
export function scrubText(s: string): string {
  return s.replace(CONTROLS, '').replace(SPACES, ' ').trim();
}

/** Every double-quote style → the ASCII `"`, so «Ромашка» and "Ромашка" compare equal. */
export function normalizeQuotes(s: string): string {
  return s.replace(DOUBLE_QUOTES, '"');
}

// Anything cleanOptional would change: DIRTY's characters and spacing, or a DOUBLE_QUOTES character.
const UNCLEAN =
  // eslint-disable-next-line no-control-regex -- see CONTROLS
  /[\u0000-\u001F\u007F-\u009F\u00A0\u00AD\u1680\u2000-\u200F\u2028-\u202F\u205F-\u2064\u3000\uFEFF«»“”„‟″〝〞＂"]|^ | $| {2}/u;

/** cleanText + normalizeQuotes, or undefined when nothing is left (for optional fields). */
export function cleanOptional(s: string | null | undefined): string | undefined {
  if (s == null) return undefined;
  // Most values are clean already: one test instead of cleaning and then replacing quotes.
  const out = UNCLEAN.test(s) ? normalizeQuotes(cleanText(s)) : s;
  return out === '' ? undefined : out;
}
