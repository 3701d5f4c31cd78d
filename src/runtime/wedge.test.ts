import { describe, expect, it } from 'vitest';
import { Health } from '../metrics/health.js';
import { createMetrics } from '../metrics/metrics.js';
import { watchWedge } from './wedge.js';

const tick = () => new Promise((r) => setTimeout(r, 40));

describe('watchWedge', () => {
  it('turns /healthz not live when records are in flight and none settle while every server is up, and live again on progress', async () => {
    const metrics = createMetrics(undefined, { defaultMetrics: false });
    const health = new Health();
    let now = 10_000_000;
    metrics.lastProgress.set({ topology: 'shop-a' }, now / 1000);
    const stop = watchWedge({ metrics, health, afterMs: 60_000, intervalMs: 10, now: () => now });
    try {
      health.set('source:shop-a.full', 'running');
      metrics.inFlight.set({ topology: 'shop-a', source: 'shop-a.full' }, 5);
      now += 30_000;
      await tick();
      expect(health.report().live).toBe(true);

      now += 40_000;
      health.reach('sink:bitrix24', 'backing-off', 'NETWORK: no answer');
      await tick();
      expect(health.report().live).toBe(true); // an outage explains the stall

      health.reach('sink:bitrix24', 'running');
      await tick();
      expect(health.report()).toMatchObject({
        live: false,
        components: { pipeline: { state: 'failed', detail: 'wedged: 5 records in flight and none settled for 70 s' } },
      });

      metrics.lastProgress.set({ topology: 'shop-a' }, now / 1000);
      await tick();
      expect(health.report().live).toBe(true);
    } finally {
      stop();
    }
  });
});
