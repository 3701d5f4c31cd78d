import { type CheckResult, VALID, checkDigitsOfLength, invalid } from './result.js';

/**
 * OGRN (ОГРН), 13 digits: check = (first 12 digits mod 11) mod 10 — a remainder of 10 gives 0.
 * First digit 1 or 5 marks an OGRN; 2, 4, 6–9 are ГРН record numbers of later entries, which are
 * not a company's registration number (docs/identifiers.md).
 */
export function ogrnCheckDigit(body12: string): number {
  return mod(body12, 11) % 10;
}

export function validateOgrn(ogrn: string): CheckResult {
  const shape = checkDigitsOfLength(ogrn, 13);
  if (!shape.valid) return shape;
  if (ogrnCheckDigit(ogrn.slice(0, 12)) !== Number(ogrn[12])) return invalid('checksum');
  return ogrn[0] === '1' || ogrn[0] === '5' ? VALID : invalid('prefix');
}

/**
 * Remainder of a decimal digit string by a small modulus, digit by digit: exact for any length,
 * where Number() of 14 digits is exact too but BigInt would cost an allocation per call.
 */
export function mod(digits: string, m: number): number {
  let r = 0;
  for (let i = 0; i < digits.length; i++) r = (r * 10 + (digits.charCodeAt(i) - 48)) % m;
  return r;
}
