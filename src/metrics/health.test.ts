import { describe, expect, it } from 'vitest';
import { Health, type ComponentState } from './health.js';

describe('Health', () => {
  it('is not ready while a source connects or backs off past the grace period, and says since when', () => {
    let now = 1_000_000;
    const changes: Array<[string, ComponentState]> = [];
    const h = new Health({ graceMs: 10_000, now: () => now, onChange: (n, s) => changes.push([n, s]) });
    h.set('sink:bitrix24', 'running');
    h.reach('source:shop-a.full', 'connecting');
    // The pipeline opening the source does not make it running: its tracker decides.
    h.set('source:shop-a.full', 'running');
    expect(h.report()).toMatchObject({
      live: true,
      ready: false,
      components: { 'source:shop-a.full': { state: 'connecting' } },
    });
    h.reach('source:shop-a.full', 'backing-off', 'ECONNREFUSED: connect ECONNREFUSED');
    expect(h.report().ready).toBe(false); // never up yet: no grace
    h.reach('source:shop-a.full', 'running');
    expect(h.report().ready).toBe(true);

    now += 1000;
    h.reach('source:shop-a.full', 'backing-off', 'ECONNRESET: socket hang up');
    const since = h.report().components['source:shop-a.full']?.since;
    now += 5000;
    h.reach('source:shop-a.full', 'backing-off', 'ECONNREFUSED: again');
    const report = h.report();
    expect(report.ready).toBe(true); // a blip within the grace period
    expect(report.components['source:shop-a.full']).toEqual({
      state: 'backing-off',
      detail: 'ECONNREFUSED: again',
      since,
    });
    now += 6000;
    expect(h.report()).toMatchObject({ live: true, ready: false });
    h.set('source:shop-a.full', 'failed', 'gave up');
    expect(h.report().live).toBe(false);
    expect(changes.map(([, s]) => s)).toEqual([
      'running',
      'connecting',
      'backing-off',
      'running',
      'backing-off',
      'failed',
    ]);
  });
});
