import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { Health } from '../metrics/health.js';
import { createMetrics } from '../metrics/metrics.js';
import { watchApis } from './api-health.js';

const tick = () => new Promise((r) => setTimeout(r, 40));

describe('watchApis', () => {
  it('reports an API backing off while its requests get no answer, and running again on the first answer', async () => {
    const metrics = createMetrics(undefined, { defaultMetrics: false });
    const health = new Health();
    const stop = watchApis(
      metrics,
      [
        {
          api: 'bitrix24',
          component: 'sink:bitrix24',
          endpoint: 'https://portal/rest/1/***/',
          setBy: 'crm.webhookUrl',
          answers: new Set(['503']),
        },
        { api: 'egrul', component: 'registry:egrul', endpoint: 'https://dadata', setBy: 'registry.url' },
      ],
      {
        baseMs: 1,
        maxMs: 1,
        logEveryMs: 60_000,
        logger: silentLogger,
        status: { set: (c, s, d) => health.reach(c, s, d) },
      },
      10,
    );
    try {
      const state = (c: string) => health.report().components[c];
      expect(state('sink:bitrix24')?.state).toBe('running');
      metrics.apiRequests.inc({ api: 'egrul', method: 'findById/party', status: 'network' }, 3);
      metrics.apiRequests.inc({ api: 'bitrix24', method: 'batch', status: '503' });
      await tick();
      expect(state('registry:egrul')).toMatchObject({
        state: 'backing-off',
        detail: 'NETWORK: 3 request(s) to https://dadata got no answer (last: network)',
      });
      expect(state('sink:bitrix24')?.state).toBe('running');
      await tick(); // no traffic: no change
      expect(state('registry:egrul')?.state).toBe('backing-off');
      metrics.apiRequests.inc({ api: 'egrul', method: 'findById/party', status: '200' });
      await tick();
      expect(state('registry:egrul')?.state).toBe('running');
    } finally {
      stop();
    }
  });
});
