import { type CheckResult, VALID, invalid } from './result.js';

/**
 * KPP (КПП): no check digit. NNNN (tax office, digits) PP (reason, [0-9A-Z]) XXX (digits).
 * Regex as in russian-id `Kpp.php` and rin-nas `is_kpp.sql`. Stricter rules seen elsewhere
 * (region tables, "PP != 00") disagree between libraries, so they are not applied.
 */
const KPP = /^\d{4}[\dA-Z]{2}\d{3}$/;

export function validateKpp(kpp: string): CheckResult {
  if (kpp.length === 0) return invalid('empty');
  if (kpp.length !== 9) return invalid('length');
  return KPP.test(kpp) ? VALID : invalid('format');
}
