import { findNumbers, parsePhoneNumberFromString } from 'libphonenumber-js/max';
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
type Parsed = { e164: string; type: NonNullable<Phone['type']>; ext?: string } | null;

function parseCandidate(candidate: string): Parsed {
  const parsed = parsePhoneNumberFromString(candidate, 'RU');
  if (!parsed) return null;
  // With the 'max' metadata isValid() is exactly getType() !== undefined: one call does both
  // and halves the cost of the hottest function in the mappers.
  const type = parsed.getType();
  if (type === undefined) return null;
  return parsed.ext ? { e164: parsed.number, type, ext: parsed.ext } : { e164: parsed.number, type };
}

/**
 * libphonenumber-js is the mappers' hottest call, and the same numbers come again and again (a
 * person's number in each of their records, a company's switchboard in every contact). Parses are
 * kept in a bounded LRU (50 000 entries, a few MB). A candidate made only of digits, spaces and
 * ( ) . - (with at most a leading +) is keyed by its digits alone: libphonenumber ignores that
 * punctuation, so '8 (495) 500-55-50' and '8-495-5005550' are one entry with one answer.
 */
export const phoneCache = new Lru<Parsed>(50_000);
const PLAIN = /^\s*\+?[\d\s().-]+$/u;

function cachedParse(candidate: string): Parsed {
  const key = PLAIN.test(candidate) ? (candidate.trimStart().startsWith('+') ? '+' : '') + candidate.replace(/\D/gu, '') : `\u0000${candidate}`;
  return phoneCache.get(key, () => parseCandidate(candidate));
}

function toPhone(text: string, ext: string | undefined): Phone | undefined {
  let candidate = text;
  // '7 495 500 55 50' / '+8 495…': eleven digits with a 7 or 8 in front and no '+7'.
  const digits = text.replace(/\D/gu, '');
  if (digits.length === 11 && /^[78]/u.test(digits) && !text.trimStart().startsWith('+7')) candidate = `+7${digits.slice(1)}`;
  const parsed = cachedParse(candidate);
  if (!parsed) return undefined;
  const phone: Phone = { e164: parsed.e164, type: parsed.type };
  const extension = ext ?? parsed.ext;
  if (extension) phone.ext = extension;
  return phone;
}

function parsePiece(piece: string): { phones: Phone[]; ok: boolean } {
  const text = piece.replace(LABEL, '');
  const extMatch = EXTENSION.exec(text);
  const main = extMatch ? text.slice(0, extMatch.index) : text;
  const single = toPhone(main, extMatch?.[1]);
  if (single) return { phones: [single], ok: true };
  // Two numbers with nothing but spaces between: '84955005550 89161234567'.
  const found = findNumbers(text, { defaultCountry: 'RU', v2: true })
    .map((f) => toPhone(f.number.number, f.number.ext))
    .filter((p): p is Phone => p !== undefined);
  return found.length > 0 ? { phones: found, ok: true } : { phones: [], ok: false };
}

export function parsePhones(field: string | readonly string[] | null | undefined): ParsedPhones {
  const out: ParsedPhones = { phones: [], unparseable: [] };
  if (field == null) return out;
  const pieces: string[] = [];
  for (const f of typeof field === 'string' ? [field] : field) {
    // A phone field longer than this is not a list of numbers; and white space is collapsed
    // first, so SPLIT's optional spaces cannot backtrack over long runs of it.
    if (f.length > MAX_FIELD) out.unparseable.push(`${f.slice(0, 64)}… (${f.length} characters)`);
    else pieces.push(...f.replace(/[ \t\u00A0\u202F]+/gu, ' ').replace(/[\r\n]+/gu, '\n').split(SPLIT));
  }
  const seen = new Set<string>();
  let last: Phone | undefined;
  for (const raw of pieces) {
    const piece = raw.replace(/[\s\u00A0\u202F]+/gu, ' ').trim();
    if (piece === '') continue;
    const onlyExt = ONLY_EXTENSION.exec(piece);
    if (onlyExt && last && last.ext === undefined) {
      seen.delete(key(last));
      last.ext = onlyExt[1];
      seen.add(key(last));
      continue;
    }
    const { phones, ok } = parsePiece(piece);
    if (!ok) out.unparseable.push(piece);
    for (const p of phones) {
      if (seen.has(key(p))) continue;
      seen.add(key(p));
      out.phones.push(p);
      last = p;
    }
  }
  return out;
}

const key = (p: Phone) => `${p.e164};${p.ext ?? ''}`;
