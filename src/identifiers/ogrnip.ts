import { mod } from './ogrn.js';
import { type CheckResult, VALID, checkDigitsOfLength, invalid } from './result.js';

/**
 * OGRNIP (ОГРНИП), 15 digits: check = the LAST digit of (first 14 digits mod 13). Remainders
 * 10, 11, 12 give 0, 1, 2. python-stdnum (str of the remainder) and rigour (only 10→0) get this
 * wrong; e.g. 304500116000061 has remainder 11 and is valid. First digit 3 marks an OGRNIP.
 */
export function ogrnipCheckDigit(body14: string): number {
  return mod(body14, 13) % 10;
}

export function validateOgrnip(ogrnip: string): CheckResult {
  const shape = checkDigitsOfLength(ogrnip, 15);
  if (!shape.valid) return shape;
  if (ogrnipCheckDigit(ogrnip.slice(0, 14)) !== Number(ogrnip[14])) return invalid('checksum');
  return ogrnip[0] === '3' ? VALID : invalid('prefix');
}
