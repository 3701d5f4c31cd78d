import { describe, expect, it } from 'vitest';
import { Health } from './health.js';
import { createMetrics } from './metrics.js';
import { startMetricsServer } from './server.js';

describe('metrics server', () => {
  it('serves prefixed metrics and a health report that turns unready and unlive', async () => {
    const metrics = createMetrics(undefined, { defaultMetrics: false });
    const health = new Health();
    metrics.rejects.inc({ source: 'shop-a', reason: 'INVALID_INN' }, 3);
    health.set('source:shop-a', 'running');
    health.set('sink:bitrix24', 'starting');
    const server = await startMetricsServer({ registry: metrics.registry, health, port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('crm_unify_rejects_total{source="shop-a",reason="INVALID_INN"} 3');

      let res = await fetch(`${server.url}/healthz/ready`);
      expect(res.status).toBe(503);
      expect(
        ((await res.json()) as { components: Record<string, { state: string }> }).components['sink:bitrix24']?.state,
      ).toBe('starting');
      health.set('sink:bitrix24', 'running');
      expect((await fetch(`${server.url}/healthz/ready`)).status).toBe(200);
      health.set('source:shop-a', 'failed', 'broker unreachable');
      res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { live: boolean }).live).toBe(false);
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
