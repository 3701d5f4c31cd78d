import { type CheckResult, VALID, checkDigitsOfLength, invalid } from './result.js';

/**
 * BIK (БИК): 9 digits, no check digit.
 * - Every Russian BIK starts with 0: "04" in the classic scheme (country 04, region, division,
 *   institution), and treasury (ТОФК) BIKs since 2021 start with "00"–"03".
 * - Classic "04…" BIKs: digits 7–9 are 000/001/002 for Bank of Russia units and 050–999 for
 *   credit institutions, so 003–049 are rejected (docs/identifiers.md). The
 *   treasury scheme's inner structure is unconfirmed, so it gets no rule beyond the prefix.
 */
export function validateBik(bik: string): CheckResult {
  const shape = checkDigitsOfLength(bik, 9);
  if (!shape.valid) return shape;
  if (bik[0] !== '0' || bik[1] === undefined || bik[1] > '4') return invalid('prefix');
  if (bik[1] === '4') {
    const institution = Number(bik.slice(6));
    if (institution > 2 && institution < 50) return invalid('format');
  }
  return VALID;
}
