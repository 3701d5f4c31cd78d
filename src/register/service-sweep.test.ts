import { describe, expect, it, vi } from 'vitest';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { Bitrix24Client } from '../connectors/bitrix24/rest-client.js';
import { loadEgrulConfig } from '../connectors/egrul/config.js';
import type { RegistryStatus } from '../connectors/egrul/status.js';
import { parseConfig } from '../core/config.js';
import { createMetrics } from '../metrics/metrics.js';
import { rejectOps } from '../state/helpers.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { startRegisterSweep, type ServiceSweepOptions } from './service-sweep.js';

const crm = parseConfig(Bitrix24ConfigSchema, { webhookUrl: 'http://127.0.0.1:9/rest/1/never-called/' });

function options(over: Partial<ServiceSweepOptions> & { sweep?: Record<string, unknown> } = {}) {
  const asked: string[] = [];
  const { sweep, ...rest } = over;
  const o: ServiceSweepOptions = {
    store: new MemoryStateStore(),
    verifier: {
      recheck: async (inn): Promise<RegistryStatus> => {
        asked.push(inn);
        return { inn, status: 'NOT_FOUND' };
      },
    },
    client: new Bitrix24Client(crm),
    resolver: { resolve: () => Promise.reject(new Error('nothing is found here')) },
    delivery: { deliver: () => Promise.reject(new Error('nothing is found here')) },
    registry: loadEgrulConfig({ token: 't', ...(sweep ? { sweep } : {}) }, {}),
    crm,
    metrics: createMetrics(undefined, { defaultMetrics: false }),
    once: false,
    ...rest,
  };
  return { o, asked };
}

describe('the register sweep in the service', () => {
  it('does not start in --once runs, plans, or when switched off', () => {
    const stop = new AbortController().signal;
    expect(startRegisterSweep(options({ once: true }).o, stop)).toBeUndefined();
    expect(startRegisterSweep(options({ dryRun: true }).o, stop)).toBeUndefined();
    expect(startRegisterSweep(options({ sweep: { enabled: false } }).o, stop)).toBeUndefined();
  });

  it('sweeps at once, then waits; a stop ends the wait and the run', async () => {
    const { o, asked } = options();
    await o.store.batch(
      rejectOps({
        reason: 'EGRUL_NOT_FOUND',
        detail: 'INN 7707083893 is not in the register',
        source: 'shop-b.partners',
        sourceId: 'P1',
        position: '0@1',
        at: '2026-01-01T00:00:00.000Z',
      }),
    );
    const stop = new AbortController();
    const running = startRegisterSweep(o, stop.signal);
    expect(running).toBeDefined();
    await vi.waitFor(async () =>
      expect((await o.store.get('rejects', 'shop-b.partners|0@1|P1|EGRUL_NOT_FOUND'))?.rechecks?.count).toBe(1),
    );
    expect(asked).toEqual(['7707083893']);
    const counted = Object.fromEntries(
      (await o.metrics!.registerSweep.get()).values.map((v) => [v.labels.kind, v.value]),
    );
    expect(counted).toEqual({ expired: 0, not_found: 1, found: 0, corrected: 0 });
    stop.abort(); // the idle wait is an hour: only the stop can end it
    await expect(running).resolves.toBeUndefined();
    expect(asked).toHaveLength(1);
  });
});
