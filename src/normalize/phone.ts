import { Metadata } from 'libphonenumber-js/core';
import { findNumbers, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import maxMetadata from 'libphonenumber-js/metadata.max.json';
import type { Phone } from '../model/canonical.js';
import { Lru } from './lru.js';

/**
 * Phone fields as people fill them → E.164 numbers with their extension kept apart.
 * - Default region RU: '8 (495) …' and '+7 …' and '495 …' (no trunk prefix) all → +7495….
 * - Several numbers in one field are split on , ; / | 'или' 'и' and new lines; a piece that is
 *   only an extension ('доб. 123') belongs to the number before it.
 * - Extensions: 'доб.', 'доб', 'добавочный', 'вн.', 'ext', 'ext.', '#', 'x'.
 * - Only numbers libphonenumber-js calls valid are kept (the 'max' metadata, which also knows
 *   the number type); the rest are returned as unparseable for a PHONE_UNPARSEABLE warning.
 */
export interface ParsedPhones {
  phones: Phone[];
  /** The pieces of the field that held no valid number, as written (trimmed). */
  unparseable: string[];
}

/** Longest phone field parsed; stores hold a few numbers at most (Shop A: VARCHAR(100)). */
const MAX_FIELD = 300;
const SPLIT = /\s*(?:[,;|\n\r]|\/(?!\d{1,2}\b)|\s+(?:или|и|or)\s+)\s*/iu;
const EXTENSION = /(?:,?\s*(?:доб(?:авочный)?|вн(?:утр(?:енний)?)?|ext(?:ension)?)\.?\s*:?\s*|\s*#\s*|\s*(?<=\d\s?)x\s*)(\d{1,6})\s*\.?$/iu;
const ONLY_EXTENSION = /^(?:доб(?:авочный)?|вн(?:утр(?:енний)?)?|ext(?:ension)?)\.?\s*:?\s*(\d{1,6})$/iu;
const LABEL = /^(?:тел(?:ефон)?|моб(?:ильный)?|раб(?:очий)?|факс|сот(?:овый)?|phone|tel|mob|fax)\.?\s*:?\s*/iu;

/** What libphonenumber-js made of one candidate: the parts of a Phone, or null (not a valid number). */
export type Parsed = { e164: string; type: NonNullable<Phone['type']>; ext?: string } | null;

/** libphonenumber-js itself, uncached: the answer the fast path and the cache must give. */
export function parseCandidate(candidate: string): Parsed {
  const parsed = parsePhoneNumberFromString(candidate, 'RU');
  if (!parsed) return null;
  // With the 'max' metadata isValid() is exactly getType() !== undefined: one call does both
  // and halves the cost of the hottest function in the mappers.
  const type = parsed.getType();
  if (type === undefined) return null;
  return parsed.ext ? { e164: parsed.number, type, ext: parsed.ext } : { e164: parsed.number, type };
}

/** A candidate made only of digits, spaces and ( ) . - with at most a leading +. */
const PLAIN = /^\s*\+?[\d\s().-]+$/u;
/** What the fast path takes: PLAIN with plain spaces only, short enough for any parse. */
const FAST_PLAIN = /^ *\+?[\d ().-]{10,40}$/u;

/** RU's numbering plan as libphonenumber-js's untyped Metadata class gives it. */
interface Plan {
  callingCode(): string;
  leadingDigits(): string | undefined;
  nationalNumberPattern(): string;
  possibleLengths(): number[];
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  IDDPrefix(): string;
  type(t: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

/** The types libphonenumber-js's getNumberType() tries, in its order (FIXED_LINE first). */
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;

/**
 * Russian numbers without libphonenumber-js's parse, which is most of the mappers' time: the same
 * answer, from the patterns of its own metadata for RU. It answers only for a FAST_PLAIN candidate
 * with ten national digits (after '+7', or ten digits and no '+') that start with one of RU's
 * leading digits (3, 4, 8, 9) and that a RU number type matches. Anything else (another country,
 * Kazakhstan's +7 7…, an invalid number, an extension) is left to libphonenumber-js. What the
 * library does with such a candidate (source of 1.13: parse.js, extractCountryCallingCode.js,
 * extractNationalNumber.js, getCountryByNationalNumber.js, getNumberType.js): the calling code 7,
 * given or RU's; without '+', no IDD prefix (810) and no leading 7 to read as a calling code; the
 * national number kept whole, since dropping the trunk prefix 8 leaves a number RU's national
 * pattern refuses (checked below for each number); country RU, the first of the calling code's
 * countries, whose leading digits match; the type from RU's patterns. The facts that are not
 * checked per number are checked here once: if a metadata update changes one, the fast path is off.
 * normalize/phone-fast.test.ts compares the two on every number of the generated data and on random ones.
 */
function ruFastPath(): ((candidate: string, digits?: string) => Parsed | undefined) | undefined {
  const metadata = new Metadata(maxMetadata) as unknown as Metadata & { getCountryCodesForCallingCode(code: string): string[] | undefined };
  metadata.selectNumberingPlan('RU');
  const plan = metadata.numberingPlan as unknown as Plan;
  if (metadata.getCountryCodesForCallingCode('7')?.[0] !== 'RU' || plan.callingCode() !== '7' || plan.leadingDigits() !== '[3489]'
    || plan.nationalPrefixForParsing() !== '8' || plan.nationalPrefixTransformRule() || plan.IDDPrefix() !== '810'
    || !plan.possibleLengths().includes(10)) return undefined;
  const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`, 'u');
  const national = whole(plan.nationalNumberPattern());
  const types: Array<{ type: string; pattern: RegExp }> = [];
  for (const type of TYPES) {
    const t = plan.type(type);
    // A type without a pattern is never matched; one not possible at ten digits is never matched by ten.
    if (t?.pattern() && (t.possibleLengths() ?? plan.possibleLengths()).includes(10)) types.push({ type, pattern: whole(t.pattern()) });
  }
  const mobile = plan.type('MOBILE')?.pattern();
  if (!mobile || types[0]?.type !== 'FIXED_LINE') return undefined; // otherwise FIXED_LINE_OR_MOBILE rules would apply
  const fixedLine = types[0].pattern;
  const mobilePattern = whole(mobile);
  // `digits`: the candidate's digits, when the caller has them already.
  return (candidate, digits = candidate.replace(/\D/gu, '')) => {
    if (!FAST_PLAIN.test(candidate)) return undefined;
    const plus = candidate.trimStart().startsWith('+');
    let n: string;
    if (plus) {
      if (digits.length !== 11 || digits.charCodeAt(0) !== 0x37) return undefined; // '+7'
      n = digits.slice(1);
    } else {
      if (digits.length !== 10 || digits.startsWith('810')) return undefined;
      n = digits;
    }
    const first = n.charCodeAt(0);
    if (first !== 0x33 && first !== 0x34 && first !== 0x38 && first !== 0x39) return undefined; // [3489]
    if (!national.test(n) || (first === 0x38 && national.test(n.slice(1)))) return undefined;
    for (const { type, pattern } of types) {
      if (!pattern.test(n)) continue;
      // A number both fixed line and mobile is FIXED_LINE_OR_MOBILE (no RU range is).
      if (pattern === fixedLine && mobilePattern.test(n)) return undefined;
      return { e164: `+7${n}`, type };
    }
    return undefined;
  };
}

/** The fast path, or undefined when the metadata no longer has the shape it relies on. */
export const fastParseRu = ruFastPath();

/**
 * libphonenumber-js is the mappers' hottest call, and the same numbers come again and again (a
 * person's number in each of their records, a company's switchboard in every contact). Parses are
 * kept in a bounded LRU (50 000 entries, a few MB). A candidate made only of digits, spaces and
 * ( ) . - (with at most a leading +) is keyed by its digits alone: libphonenumber ignores that
 * punctuation, so '8 (495) 500-55-50' and '8-495-5005550' are one entry with one answer.
 * Russian numbers the fast path knows never reach the cache.
 */
export const phoneCache = new Lru<Parsed>(50_000);

function cachedParse(candidate: string, digits: string): Parsed {
  const fast = fastParseRu?.(candidate, digits);
  if (fast !== undefined) return fast;
  const key = PLAIN.test(candidate) ? (candidate.trimStart().startsWith('+') ? '+' : '') + digits : `\u0000${candidate}`;
  return phoneCache.get(key, () => parseCandidate(candidate));
}

/** One candidate and its digits → its parts (cached and fast, or libphonenumber-js alone for the reference). */
type ParseCandidate = (candidate: string, digits: string) => Parsed;
/** How parseFields runs: the hot path, or the reference (every regex, libphonenumber-js for every candidate). */
interface Mode {
  parse: ParseCandidate;
  /**
   * Shortcuts: bare pieces skip the separator, label and extension regexes, which cannot match
   * them; duplicates are found by a scan of the few phones kept so far, not a Set of key strings.
   */
  shortcuts: boolean;
}
const FAST: Mode = { parse: cachedParse, shortcuts: true };
const REFERENCE: Mode = { parse: parseCandidate, shortcuts: false };
/**
 * Only digits, spaces and + ( ) . - (most fields: one number as typed): SPLIT, ONLY_EXTENSION,
 * LABEL and EXTENSION all need a letter, '#' or one of , ; | / and a line break to match.
 */
const BARE = /^[\d +().-]*$/u;

function toPhone(text: string, ext: string | undefined, parse: ParseCandidate): Phone | undefined {
  let candidate = text;
  // '7 495 500 55 50' / '+8 495…': eleven digits with a 7 or 8 in front and no '+7'.
  let digits = text.replace(/\D/gu, '');
  if (digits.length === 11 && /^[78]/u.test(digits) && !text.trimStart().startsWith('+7')) {
    digits = `7${digits.slice(1)}`;
    candidate = `+${digits}`;
  }
  const parsed = parse(candidate, digits);
  if (!parsed) return undefined;
  const phone: Phone = { e164: parsed.e164, type: parsed.type };
  const extension = ext ?? parsed.ext;
  if (extension) phone.ext = extension;
  return phone;
}

function parsePiece(piece: string, bare: boolean, parse: ParseCandidate): { phones: Phone[]; ok: boolean } {
  const text = bare ? piece : piece.replace(LABEL, '');
  const extMatch = bare ? null : EXTENSION.exec(text);
  const main = extMatch ? text.slice(0, extMatch.index) : text;
  const single = toPhone(main, extMatch?.[1], parse);
  if (single) return { phones: [single], ok: true };
  // Two numbers with nothing but spaces between: '84955005550 89161234567'.
  const found = findNumbers(text, { defaultCountry: 'RU', v2: true })
    .map((f) => toPhone(f.number.number, f.number.ext, parse))
    .filter((p): p is Phone => p !== undefined);
  return found.length > 0 ? { phones: found, ok: true } : { phones: [], ok: false };
}

export function parsePhones(field: string | readonly string[] | null | undefined): ParsedPhones {
  return parseFields(field, FAST);
}

/**
 * parsePhones with libphonenumber-js for every candidate: no fast path, no cache. The answer
 * parsePhones must give; phone-fast.test.ts holds the two to it.
 */
export function parsePhonesReference(field: string | readonly string[] | null | undefined): ParsedPhones {
  return parseFields(field, REFERENCE);
}

function parseFields(field: string | readonly string[] | null | undefined, mode: Mode): ParsedPhones {
  const out: ParsedPhones = { phones: [], unparseable: [] };
  if (field == null) return out;
  const pieces: string[] = [];
  for (const f of typeof field === 'string' ? [field] : field) {
    // A phone field longer than this is not a list of numbers; and white space is collapsed
    // first, so SPLIT's optional spaces cannot backtrack over long runs of it.
    if (f.length > MAX_FIELD) out.unparseable.push(`${f.slice(0, 64)}… (${f.length} characters)`);
    else if (mode.shortcuts && BARE.test(f)) pieces.push(f);
    else pieces.push(...f.replace(/[ \t\u00A0\u202F]+/gu, ' ').replace(/[\r\n]+/gu, '\n').split(SPLIT));
  }
  // The keys of out.phones (a Set in the reference; the shortcut scans out.phones itself).
  const seen = mode.shortcuts ? undefined : new Set<string>();
  let last: Phone | undefined;
  for (const raw of pieces) {
    const piece = raw.replace(/[\s\u00A0\u202F]+/gu, ' ').trim();
    if (piece === '') continue;
    const bare = mode.shortcuts && BARE.test(piece);
    const onlyExt = bare ? null : ONLY_EXTENSION.exec(piece);
    if (onlyExt && last && last.ext === undefined) {
      seen?.delete(key(last));
      last.ext = onlyExt[1];
      seen?.add(key(last));
      continue;
    }
    const { phones, ok } = parsePiece(piece, bare, mode.parse);
    if (!ok) out.unparseable.push(piece);
    for (const p of phones) {
      if (seen ? seen.has(key(p)) : holds(out.phones, p)) continue;
      seen?.add(key(p));
      out.phones.push(p);
      last = p;
    }
  }
  return out;
}

const key = (p: Phone) => `${p.e164};${p.ext ?? ''}`;

/** Whether `phones` has one with p's key: the same e164 (never holding ';') and extension. */
function holds(phones: readonly Phone[], p: Phone): boolean {
  for (const q of phones) if (q.e164 === p.e164 && q.ext === p.ext) return true;
  return false;
}
