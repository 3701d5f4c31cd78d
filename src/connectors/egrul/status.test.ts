import { describe, expect, it } from 'vitest';
import { innOfNotFound, pickMain, toRegistryStatus, verdict, type PartySuggestion } from './status.js';

const party = (status: string, branch: string | null, extra: Record<string, unknown> = {}): PartySuggestion => ({
  value: `ООО ${status}`,
  data: { inn: '7707083893', ogrn: '1027700132195', branch_type: branch, state: { status }, ...extra },
});

describe('EGRUL status mapping', () => {
  it('passes ACTIVE and passes REORGANIZING with a warning', () => {
    expect(verdict(toRegistryStatus('7707083893', [party('ACTIVE', 'MAIN')]))).toMatchObject({
      ok: true,
      warnings: [],
    });
    expect(verdict(toRegistryStatus('7707083893', [party('REORGANIZING', 'MAIN')]))).toMatchObject({
      ok: true,
      warnings: ['EGRUL_REORGANIZING'],
    });
  });

  it.each(['LIQUIDATING', 'LIQUIDATED', 'BANKRUPT'])('rejects %s as EGRUL_NOT_ACTIVE', (status) => {
    expect(verdict(toRegistryStatus('7707083893', [party(status, 'MAIN')]))).toMatchObject({
      ok: false,
      reason: 'EGRUL_NOT_ACTIVE',
    });
  });

  it('reads the INN back from a not-found detail (as the verify stage extends it), and from nothing else', () => {
    const v = verdict(toRegistryStatus('500100732259', []));
    expect(v.ok).toBe(false);
    const detail = v.ok ? '' : v.detail;
    expect(innOfNotFound(detail)).toBe('500100732259');
    expect(innOfNotFound(`${detail} (with its 2 contact(s))`)).toBe('500100732259');
    expect(innOfNotFound('INN 7707083893 is LIQUIDATED in the register')).toBeUndefined();
  });

  it('rejects an empty suggestion list as EGRUL_NOT_FOUND', () => {
    expect(verdict(toRegistryStatus('7707083893', []))).toMatchObject({ ok: false, reason: 'EGRUL_NOT_FOUND' });
  });

  it('lets the MAIN branch decide, whatever the order', () => {
    const s = toRegistryStatus('7707083893', [
      party('ACTIVE', 'BRANCH'),
      party('LIQUIDATED', 'MAIN'),
      party('ACTIVE', 'BRANCH'),
    ]);
    expect(s.status).toBe('LIQUIDATED');
  });

  it('prefers the active OGRNIP of an individual entrepreneur', () => {
    const ie = (status: string): PartySuggestion => ({
      data: { inn: '500100732259', type: 'INDIVIDUAL', state: { status } },
    });
    expect(pickMain('500100732259', [ie('LIQUIDATED'), ie('ACTIVE')])?.data?.state?.status).toBe('ACTIVE');
  });

  it('rejects a status it does not know rather than loading it blind', () => {
    const s = toRegistryStatus('7707083893', [party('SOMETHING_NEW', 'MAIN')]);
    expect(s).toMatchObject({ status: 'UNKNOWN', raw: 'SOMETHING_NEW' });
    expect(verdict(s)).toMatchObject({ ok: false, reason: 'EGRUL_NOT_ACTIVE' });
  });
});
