import { CrmUnifyError } from '../../core/errors.js';
import {
  type CheckResult,
  cleanIdentifier,
  validateAccount,
  validateBik,
  validateInn,
  validateKpp,
  validateOgrn,
  validateOgrnip,
} from '../../identifiers/index.js';

/**
 * `crm-unify check inn|kpp|ogrn|bik|account <value…> [--bik B] [--json]`: the identifier
 * validators on the command line. Values are cleaned first ('77 07-083 893' is checked as
 * 7707083893), exactly as the mappers do; `ogrn` takes both OGRN (13) and OGRNIP (15).
 */
export const checkKinds = ['inn', 'kpp', 'ogrn', 'bik', 'account'] as const;
export type CheckKind = (typeof checkKinds)[number];

export interface CheckValueResult {
  value: string;
  kind: CheckKind;
  valid: boolean;
  /** Why it is invalid (length, non-digit, checksum, …); null when valid. */
  reason: string | null;
}

function validator(kind: CheckKind, bik: string | undefined): (v: string) => CheckResult {
  switch (kind) {
    case 'inn':
      return validateInn;
    case 'kpp':
      return validateKpp;
    case 'ogrn':
      return (v) => (v.length === 15 ? validateOgrnip(v) : validateOgrn(v));
    case 'bik':
      return validateBik;
    case 'account': {
      const b = cleanIdentifier(bik);
      if (b === '')
        throw new CrmUnifyError('USAGE', 'check account needs --bik <BIK> (the key of an account depends on its bank)');
      const r = validateBik(b);
      if (!r.valid) throw new CrmUnifyError('USAGE', `--bik ${bik}: not a valid BIK (${r.reason})`);
      return (v) => validateAccount(v, b, v.startsWith('301') ? 'correspondent' : 'settlement');
    }
  }
}

export function checkValues(kind: CheckKind, values: string[], opts: { bik?: string } = {}): CheckValueResult[] {
  if (!(checkKinds as readonly string[]).includes(kind)) {
    throw new CrmUnifyError(
      'USAGE',
      `unknown identifier kind ${JSON.stringify(kind)}; one of ${checkKinds.join(', ')}`,
    );
  }
  if (values.length === 0) throw new CrmUnifyError('USAGE', `check ${kind} needs at least one value`);
  const check = validator(kind, opts.bik);
  return values.map((value) => {
    const r = check(cleanIdentifier(value));
    return { value, kind, valid: r.valid, reason: r.valid ? null : (r.reason ?? 'invalid') };
  });
}

/** One line per value ("7707083893  inn  valid"), or a JSON array with --json. */
export function formatCheckResults(results: CheckValueResult[], json: boolean): string {
  if (json) return JSON.stringify(results);
  const width = Math.max(...results.map((r) => r.value.length), 0);
  return results
    .map((r) => `${r.value.padEnd(width)}  ${r.kind}  ${r.valid ? 'valid' : `invalid (${r.reason})`}`)
    .join('\n');
}

/** 0 when every value is valid, 1 when any is not. */
export function checkExitCode(results: CheckValueResult[]): 0 | 1 {
  return results.every((r) => r.valid) ? 0 : 1;
}
