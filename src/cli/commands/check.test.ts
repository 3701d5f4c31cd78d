import { describe, expect, it } from 'vitest';
import { CrmUnifyError } from '../../core/errors.js';
import { checkExitCode, checkValues, formatCheckResults } from './check.js';

describe('checkValues', () => {
  it('checks INNs in input order, cleaning spacing first', () => {
    const r = checkValues('inn', ['77 07-083 893', '7707083894', '500100732259', 'abc']);
    expect(r).toEqual([
      { value: '77 07-083 893', kind: 'inn', valid: true, reason: null },
      { value: '7707083894', kind: 'inn', valid: false, reason: 'checksum' },
      { value: '500100732259', kind: 'inn', valid: true, reason: null },
      { value: 'abc', kind: 'inn', valid: false, reason: 'non-digit' },
    ]);
    expect(checkExitCode(r)).toBe(1);
  });

  it('ogrn takes both 13 and 15 digits', () => {
    const r = checkValues('ogrn', ['1027700132195', '304500116000061', '12345']);
    expect(r.map((x) => x.valid)).toEqual([true, true, false]);
    expect(r[2]?.reason).toBe('length');
  });

  it('kpp and bik', () => {
    expect(checkValues('kpp', ['773601001', '77360100A']).map((x) => x.reason)).toEqual([null, 'format']);
    expect(checkExitCode(checkValues('bik', ['044525225']))).toBe(0);
  });

  it('account needs --bik and checks correspondent accounts by their prefix', () => {
    expect(() => checkValues('account', ['40702810938000000001'])).toThrow(CrmUnifyError);
    try {
      checkValues('account', ['40702810938000000001']);
    } catch (e) {
      expect((e as CrmUnifyError).code).toBe('USAGE');
    }
    expect(() => checkValues('account', ['1'], { bik: '12' })).toThrow(/not a valid BIK/);
    const r = checkValues('account', ['40702810938000000001', '30101810400000000225', '40702810938000000002'], {
      bik: '044525225',
    });
    expect(r.map((x) => x.valid)).toEqual([true, true, false]);
  });

  it('rejects unknown kinds and empty value lists as usage errors', () => {
    expect(() => checkValues('snils' as never, ['1'])).toThrow(/unknown identifier kind/);
    expect(() => checkValues('inn', [])).toThrow(/at least one value/);
  });
});

describe('formatCheckResults', () => {
  const results = checkValues('inn', ['7707083893', '7707083894']);
  it('prints one aligned line per value', () => {
    expect(formatCheckResults(results, false)).toBe('7707083893  inn  valid\n7707083894  inn  invalid (checksum)');
  });
  it('prints JSON with --json', () => {
    expect(JSON.parse(formatCheckResults(results, true))).toEqual(results);
  });
});
