import { findNumbers, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Phone } from '../model/canonical.js';
import { Lru } from './lru.js';
import { fastParseRu } from './phone-ru.js';

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
const EXTENSION =
  /(?:,?\s*(?:доб(?:авочный)?|вн(?:утр(?:енний)?)?|ext(?:ension)?)\.?\s*:?\s*|\s*#\s*|\s*(?<=\d\s?)x\s*)(\d{1,6})\s*\.?$/iu;
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
  const key = PLAIN.test(candidate)
    ? (candidate.trimStart().startsWith('+') ? '+' : '') + digits
    : `\u0000${candidate}`;
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
 * LABEL and EXTENSION each need a letter, '#', a line break or one of , ; | / to match.
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
    else
      pieces.push(
        ...f
          .replace(/[ \t\u00A0\u202F]+/gu, ' ')
          .replace(/[\r\n]+/gu, '\n')
          .split(SPLIT),
      );
  }
  // The keys of out.phones (a Set in the reference; the shortcut scans out.phones itself).
  const seen = mode.shortcuts ? undefined : new Set<string>();
  let last: Phone | undefined;
  for (const raw of pieces) {
    const bare = mode.shortcuts && BARE.test(raw);
    // A bare piece's only white space is ' ': most have no run of it to collapse.
    const piece = (
      bare ? (raw.includes('  ') ? raw.replace(/ {2,}/gu, ' ') : raw) : raw.replace(/[\s\u00A0\u202F]+/gu, ' ')
    ).trim();
    if (piece === '') continue;
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
