import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector, FaultSpecError, parseFaultSpec } from './faults.js';
import type { PortalServer } from './index.js';
import { call, ok, testPortal } from './test-helpers.js';

describe('parseFaultSpec', () => {
  it('parses probabilities, latency and seed', () => {
    expect(parseFaultSpec('503=0.05,500=0.01,lost=0.01,latency=20-200')).toEqual({
      p503: 0.05,
      p500: 0.01,
      p429: 0,
      lost: 0.01,
      latencyMs: [20, 200],
    });
    expect(parseFaultSpec(' latency=30 , seed=7 ')).toMatchObject({ latencyMs: [30, 30], seed: 7 });
    expect(parseFaultSpec('')).toMatchObject({ p503: 0, lost: 0 });
  });

  it.each([
    ['503=2', /probability must be a number from 0 to 1/],
    ['404=0.1', /unknown key/],
    ['lost', /expected KEY=VALUE/],
    ['latency=200-20', /MIN 200 is greater than MAX 20/],
    ['latency=fast', /expected MS or MIN-MAX/],
    ['503=0.6,lost=0.6', /add up to 1.2/],
  ])('rejects %s clearly', (spec, msg) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(spec)).toThrow(msg);
  });

  it('is reproducible with a seed', () => {
    const a = new FaultInjector(parseFaultSpec('503=0.3,lost=0.2,latency=0-100'), 42);
    const b = new FaultInjector(parseFaultSpec('503=0.3,lost=0.2,latency=0-100'), 42);
    const run = (f: FaultInjector) => Array.from({ length: 50 }, () => `${f.draw()}/${f.latency()}`);
    expect(run(a)).toEqual(run(b));
  });
});

describe('fault injection over HTTP', () => {
  let srv: PortalServer | undefined;
  afterEach(() => srv?.stop());

  it('lost: the write is applied and the client gets a socket error', async () => {
    srv = await testPortal({ faults: 'lost=1' });
    await expect(
      fetch(`${srv.webhookUrl}crm.company.add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fields: { TITLE: 'ghost', ORIGIN_ID: 'g-9' } }),
      }),
    ).rejects.toThrow(/fetch failed/);
    expect(srv.portal.counters).toMatchObject({ writes: 1, faults: { lost: 1 } });
    srv.portal.setFaults(''); // off at runtime
    expect(
      await ok(srv.webhookUrl, 'crm.company.list', { filter: { ORIGIN_ID: 'g-9' }, select: ['ID', 'TITLE'] }),
    ).toEqual([{ ID: '1', TITLE: 'ghost' }]);
  });

  it('503 and 500 faults refuse the call without running it', async () => {
    srv = await testPortal({ faults: '503=1' });
    expect(await call(srv.webhookUrl, 'crm.company.add', { fields: { TITLE: 'x' } })).toEqual({
      status: 503,
      body: { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' },
    });
    srv.portal.setFaults('500=1');
    expect((await call(srv.webhookUrl, 'crm.company.add', { fields: { TITLE: 'x' } })).status).toBe(500);
    expect(srv.portal.store.counts().company).toBe(0);
    expect(srv.portal.counters.faults).toMatchObject({ 503: 1, 500: 1 });
  });

  it('a seeded mix hits roughly the asked rates, and latency delays answers', async () => {
    srv = await testPortal({ faults: '503=0.3,seed=1' });
    const statuses = [];
    for (let i = 0; i < 100; i++) statuses.push((await call(srv.webhookUrl, 'crm.company.list')).status);
    const n503 = statuses.filter((s) => s === 503).length;
    expect(n503).toBeGreaterThan(15);
    expect(n503).toBeLessThan(45);
    srv.portal.setFaults('latency=60-60');
    const t0 = performance.now();
    await call(srv.webhookUrl, 'crm.company.list');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });
});
