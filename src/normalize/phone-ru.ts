import { Metadata } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/metadata.max.json';
import type { Phone } from '../model/canonical.js';

/** A valid Russian number as libphonenumber-js gives it (a candidate of digits has no extension). */
export interface RuNumber {
  e164: string;
  type: NonNullable<Phone['type']>;
}

/** What the fast path takes: digits, spaces and ( ) . - with at most a leading +, short enough for any parse. */
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
const TYPES = [
  'FIXED_LINE',
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
] as const;

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
 * phone-fast.test.ts compares the two on every number of the generated data and on random ones.
 */
function ruFastPath(): ((candidate: string, digits?: string) => RuNumber | undefined) | undefined {
  const metadata = new Metadata(maxMetadata) as unknown as Metadata & {
    getCountryCodesForCallingCode(code: string): string[] | undefined;
  };
  metadata.selectNumberingPlan('RU');
  const plan = metadata.numberingPlan as unknown as Plan;
  if (
    metadata.getCountryCodesForCallingCode('7')?.[0] !== 'RU' ||
    plan.callingCode() !== '7' ||
    plan.leadingDigits() !== '[3489]' ||
    plan.nationalPrefixForParsing() !== '8' ||
    plan.nationalPrefixTransformRule() ||
    plan.IDDPrefix() !== '810' ||
    !plan.possibleLengths().includes(10)
  )
    return undefined;
  const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`, 'u');
  const national = whole(plan.nationalNumberPattern());
  const types: Array<{ type: string; pattern: RegExp }> = [];
  for (const type of TYPES) {
    const t = plan.type(type);
    // A type without a pattern is never matched; one not possible at ten digits is never matched by ten.
    if (t?.pattern() && (t.possibleLengths() ?? plan.possibleLengths()).includes(10))
      types.push({ type, pattern: whole(t.pattern()) });
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
