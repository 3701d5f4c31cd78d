import { findNumbers, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Phone } from '../model/canonical.js';

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

const SPLIT = /\s*(?:[,;|\n\r]|\/(?!\d{1,2}\b)|\s+(?:или|и|or)\s+)\s*/iu;
const EXTENSION = /(?:,?\s*(?:доб(?:авочный)?|вн(?:утр(?:енний)?)?|ext(?:ension)?)\.?\s*:?\s*|\s*#\s*|\s*(?<=\d\s?)x\s*)(\d{1,6})\s*\.?$/iu;
const ONLY_EXTENSION = /^(?:доб(?:авочный)?|вн(?:утр(?:енний)?)?|ext(?:ension)?)\.?\s*:?\s*(\d{1,6})$/iu;
const LABEL = /^(?:тел(?:ефон)?|моб(?:ильный)?|раб(?:очий)?|факс|сот(?:овый)?|phone|tel|mob|fax)\.?\s*:?\s*/iu;

function toPhone(text: string, ext: string | undefined): Phone | undefined {
  let candidate = text;
  // '7 495 500 55 50' / '+8 495…': eleven digits with a 7 or 8 in front and no '+7'.
  const digits = text.replace(/\D/gu, '');
  if (digits.length === 11 && /^[78]/u.test(digits) && !text.trimStart().startsWith('+7')) candidate = `+7${digits.slice(1)}`;
  const parsed = parsePhoneNumberFromString(candidate, 'RU');
  if (!parsed) return undefined;
  // With the 'max' metadata isValid() is exactly getType() !== undefined: one call does both
  // and halves the cost of the hottest function in the mappers.
  const type = parsed.getType();
  if (type === undefined) return undefined;
  const phone: Phone = { e164: parsed.number, type };
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
  const pieces = (typeof field === 'string' ? [field] : field).flatMap((f) => f.split(SPLIT));
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
