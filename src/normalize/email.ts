import { domainToASCII } from 'node:url';
import { z } from 'zod';

/**
 * E-mail fields → trimmed, lower-cased, syntax-checked addresses. Several addresses in one field
 * are split on , ; white space and |. 'Иванов <Info@Romashka.ru>' and 'mailto:' forms are
 * unwrapped. The syntax check is the same regex the canonical schema uses (zod's), so whatever
 * this returns passes Company/Contact validation; an internationalised domain (почта.рф) is
 * converted to its ASCII (punycode) form for the same reason.
 */
export interface ParsedEmails {
  emails: string[];
  invalid: string[];
}

const EMAIL = z.regexes.email;
const SPLIT = /[,;|\s]+/u;

/** RFC 5321's limit for a whole address; anything longer is not one (and is not worth a regex). */
const MAX_ADDRESS = 254;
/** A field longer than this holds no list of addresses a store ever meant: rejected unparsed. */
const MAX_FIELD = 4096;

function cleanOne(raw: string): string | undefined {
  if (raw.length > MAX_ADDRESS + 16) return undefined;
  let s = raw
    .trim()
    .replace(/^mailto:/iu, '')
    .replace(/^<|>$/gu, '')
    .replace(/[.,;:]+$/u, '')
    .toLowerCase();
  const at = s.lastIndexOf('@');
  if (at > 0) {
    const domain = s.slice(at + 1);
    if (/[^\u0020-\u007E]/u.test(domain)) {
      const ascii = domainToASCII(domain);
      if (ascii === '') return undefined;
      s = `${s.slice(0, at)}@${ascii}`;
    }
  }
  return EMAIL.test(s) ? s : undefined;
}

export function parseEmails(field: string | readonly string[] | null | undefined): ParsedEmails {
  const out: ParsedEmails = { emails: [], invalid: [] };
  if (field == null) return out;
  const joined = typeof field === 'string' ? field : field.join(' ');
  if (joined.length > MAX_FIELD) {
    out.invalid.push(`${joined.slice(0, 64)}… (${joined.length} characters)`);
    return out;
  }
  // '<…>' holds the address; the display name before it is dropped.
  const pieces = (joined.includes('<') ? joined.replace(/[^<>,;]*<([^<>]+)>/gu, ' $1 ') : joined).split(SPLIT);
  for (const piece of pieces) {
    if (piece.trim() === '') continue;
    const email = cleanOne(piece);
    if (email === undefined) out.invalid.push(piece.trim());
    else if (!out.emails.includes(email)) out.emails.push(email);
  }
  return out;
}
