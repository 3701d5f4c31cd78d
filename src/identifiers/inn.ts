import { type CheckResult, VALID, checkDigitsOfLength, digitAt, invalid } from './result.js';

/**
 * INN (ИНН): 10 digits for a legal entity, 12 for a person or individual entrepreneur.
 * Check digit = (Σ wᵢ·dᵢ mod 11) mod 10; the 12-digit form has two, the second over the first.
 * Source of the rule: docs/identifiers.md (python-stdnum, stdnum-js, russian-id agree).
 */
const W10 = [2, 4, 10, 3, 5, 9, 4, 6, 8] as const;
const W11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8] as const;
const W12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8] as const;

function checkDigit(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (weights[i] as number) * digitAt(digits, i);
  return (sum % 11) % 10;
}

/** Check digits for the first 9 (→1 digit) or first 10 (→2 digits) digits of an INN. */
export function innCheckDigits(body: string): string {
  if (body.length === 9) return String(checkDigit(body, W10));
  if (body.length === 10) {
    const d11 = checkDigit(body, W11);
    return `${d11}${checkDigit(body + d11, W12)}`;
  }
  throw new TypeError(`INN body must have 9 or 10 digits, got ${body.length}`);
}

/** Validates a bare INN (clean it first with cleanIdentifier). */
export function validateInn(inn: string): CheckResult {
  const shape = checkDigitsOfLength(inn, 10, 12);
  if (!shape.valid) return shape;
  const body = inn.length === 10 ? inn.slice(0, 9) : inn.slice(0, 10);
  return innCheckDigits(body) === inn.slice(body.length) ? VALID : invalid('checksum');
}

/** ORG for a 10-digit INN, IE for a 12-digit one (the length decides, not the name). */
export function innKind(inn: string): 'ORG' | 'IE' | undefined {
  return inn.length === 10 ? 'ORG' : inn.length === 12 ? 'IE' : undefined;
}
