/**
 * What every identifier check returns. `reason` names the first rule the value broke, so a
 * reject or a `crm-unify check` line can say why without re-deriving it.
 */
export type CheckFailure = 'empty' | 'length' | 'non-digit' | 'format' | 'prefix' | 'checksum' | 'bik';

export interface CheckResult {
  valid: boolean;
  reason?: CheckFailure;
}

export const VALID: CheckResult = Object.freeze({ valid: true });

export function invalid(reason: CheckFailure): CheckResult {
  return { valid: false, reason };
}

const DIGITS = /^\d+$/;

/** Shared first two rules of every numeric identifier: the exact length(s), then digits only. */
export function checkDigitsOfLength(value: string, ...lengths: number[]): CheckResult {
  if (value.length === 0) return invalid('empty');
  if (!DIGITS.test(value)) return invalid('non-digit');
  if (!lengths.includes(value.length)) return invalid('length');
  return VALID;
}

/** Digit at position i (0-based) as a number; callers have checked the string is all digits. */
export function digitAt(value: string, i: number): number {
  return value.charCodeAt(i) - 48;
}
