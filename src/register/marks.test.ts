import { describe, expect, it } from 'vitest';
import { correctionFor, shownStatus } from './marks.js';

const AT = '2026-12-02T09:00:00.000Z';

describe('the marks the sweep sets right', () => {
  it('reads the status a field shows, and nothing from text that is not a mark', () => {
    expect(shownStatus('LIQUIDATED 2026-11-01')).toBe('LIQUIDATED');
    expect(shownStatus(' BANKRUPT 2026-11-01 звонили ')).toBe('BANKRUPT');
    expect(shownStatus('')).toBe('');
    expect(shownStatus('ACTIVE')).toBe('');
    expect(shownStatus('закрыта?')).toBe('');
    expect(shownStatus(null)).toBe('');
  });

  it('writes a mark the field does not show, clears one left on an active company, and leaves the rest', () => {
    expect(correctionFor('LIQUIDATED', '', AT)).toBe('LIQUIDATED 2026-12-02');
    expect(correctionFor('LIQUIDATED', 'BANKRUPT 2026-01-01', AT)).toBe('LIQUIDATED 2026-12-02');
    expect(correctionFor('REORGANIZING', undefined, AT)).toBe('REORGANIZING 2026-12-02');
    expect(correctionFor('LIQUIDATED', 'LIQUIDATED 2026-01-01 note', AT)).toBeUndefined();
    expect(correctionFor('ACTIVE', 'LIQUIDATING 2026-01-01', AT)).toBe('');
    expect(correctionFor('ACTIVE', '', AT)).toBeUndefined();
    expect(correctionFor('ACTIVE', "a person's note", AT)).toBeUndefined();
    expect(correctionFor('NOT_FOUND', '', AT)).toBeUndefined(); // the register lost it: maybe its own hiccup
  });
});
