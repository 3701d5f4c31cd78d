import { validateBik } from './bik.js';
import { type CheckResult, VALID, checkDigitsOfLength, digitAt, invalid } from './result.js';

/**
 * Bank account key (ключевание, Положение ЦБ 385-П): weights 7,1,3 repeated over 23 digits =
 * a 3-digit prefix from the BIK + the 20-digit account; valid iff Σ(wᵢ·dᵢ) ≡ 0 (mod 10).
 * Prefix: settlement account → last 3 BIK digits; correspondent account, or any account whose
 * BIK has "00" in digits 7–8 (opened in a Bank of Russia unit) → "0" + BIK digits 5–6.
 * Implementations that agree: russian-id `AccountTrait.php`, skbkontur/django-ru-validators,
 * rin-nas `is_client_account.sql`.
 */
export type AccountKind = 'settlement' | 'correspondent';

const WEIGHTS = [7, 1, 3] as const;

function prefix(bik: string, kind: AccountKind): string {
  const inBankOfRussia = bik.slice(6, 8) === '00';
  return kind === 'correspondent' || inBankOfRussia ? `0${bik.slice(4, 6)}` : bik.slice(6, 9);
}

function keySum(digits23: string): number {
  let sum = 0;
  for (let i = 0; i < 23; i++) sum += (WEIGHTS[i % 3] as number) * digitAt(digits23, i);
  return sum;
}

/** Validates a bare 20-digit account against its bank's BIK. */
export function validateAccount(account: string, bik: string, kind: AccountKind = 'settlement'): CheckResult {
  const shape = checkDigitsOfLength(account, 20);
  if (!shape.valid) return shape;
  if (!validateBik(bik).valid) return invalid('bik');
  return keySum(prefix(bik, kind) + account) % 10 === 0 ? VALID : invalid('checksum');
}

/** Correspondent-account check (the bank's account at the Bank of Russia, 301…). */
export function validateCorrAccount(account: string, bik: string): CheckResult {
  return validateAccount(account, bik, 'correspondent');
}

/**
 * The key digit (account position 9) that makes `account` valid for `bik`: with it set to 0 the
 * weighted sum is S; position 9 of the account is position 12 of the 23 digits, weight 3, so the
 * key k solves S + 3k ≡ 0 (mod 10), i.e. k = 3·S mod 10 (3·7 ≡ 1 and −7 ≡ 3).
 */
export function accountKey(account: string, bik: string, kind: AccountKind = 'settlement'): number {
  const zeroed = `${account.slice(0, 8)}0${account.slice(9)}`;
  return ((keySum(prefix(bik, kind) + zeroed) % 10) * 3) % 10;
}
