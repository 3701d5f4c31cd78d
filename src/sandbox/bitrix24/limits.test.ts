import { afterEach, describe, expect, it } from 'vitest';
import type { PortalServer } from './index.js';
import { PortalRateLimit } from './portal-rate-limit.js';
import { parseOperatingCosts } from './operating.js';
import { call, testPortal } from './test-helpers.js';

describe('PortalRateLimit', () => {
  it('lets a burst through, refuses the next, drains at the rate', () => {
    let t = 0;
    const b = new PortalRateLimit(2, 50, () => t);
    for (let i = 0; i < 50; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t += 500; // one request drained
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t += 10_000;
    expect(b.current.level).toBe(30);
  });

  it('Infinity turns it off', () => {
    const b = new PortalRateLimit(Infinity, 50, () => 0);
    for (let i = 0; i < 500; i++) expect(b.take()).toBe(true);
  });
});

describe('parseOperatingCosts', () => {
  it('reads method=seconds pairs (names case-insensitive) and rejects anything else', () => {
    expect(parseOperatingCosts('crm.item.batchImport=0.4, crm.company.update=0.05')).toEqual({
      'crm.item.batchimport': 0.4,
      'crm.company.update': 0.05,
    });
    expect(() => parseOperatingCosts('crm.company.add')).toThrow(/method=seconds/);
    expect(() => parseOperatingCosts('crm.company.add=-1')).toThrow(/method=seconds/);
  });
});

describe('portal limits over HTTP', () => {
  let srv: PortalServer | undefined;
  afterEach(() => srv?.stop());

  it('answers 503 QUERY_LIMIT_EXCEEDED past the burst and does not run the call', async () => {
    srv = await testPortal({ rate: 0.01, burst: 5 }); // a slow drain keeps the count exact on a busy machine
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => call(srv!.webhookUrl, 'crm.company.add', { fields: { TITLE: 'x' } })),
    );
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).toHaveLength(3);
    expect(refused[0]?.body).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    expect(srv.portal.store.counts().company).toBe(5);
    expect(srv.portal.counters.queryLimitExceeded).toBe(3);
    expect(srv.portal.counters.byStatus).toEqual({ 200: 5, 503: 3 });
  });

  it('counts a batch as one request against the bucket', async () => {
    srv = await testPortal({ rate: 0.01, burst: 1 });
    const cmd = Array.from({ length: 50 }, () => 'crm.company.add?fields[TITLE]=x');
    expect((await call(srv.webhookUrl, 'batch', { cmd })).status).toBe(200);
    expect(srv.portal.store.counts().company).toBe(50);
    expect((await call(srv.webhookUrl, 'crm.company.list')).status).toBe(503);
  });

  it('blocks a method with 429 OPERATION_TIME_LIMIT once its operating time reaches the limit', async () => {
    srv = await testPortal({ operating: { limitSec: 2, costSec: 1 } });
    expect((await call(srv.webhookUrl, 'crm.company.list')).body.time).toMatchObject({ operating: 1 });
    expect((await call(srv.webhookUrl, 'crm.company.list')).status).toBe(200);
    expect(await call(srv.webhookUrl, 'crm.company.list')).toEqual({
      status: 429,
      body: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' },
    });
    expect((await call(srv.webhookUrl, 'crm.contact.list')).status).toBe(200); // other methods keep working
  });

  it('charges each method its configured cost, batch commands included, and refuses a command past the limit in result_error', async () => {
    let t = Date.UTC(2026, 0, 1, 10, 0, 20);
    srv = await testPortal({
      operating: {
        limitSec: 1,
        costSec: 0,
        costs: { 'crm.item.batchImport': 0.4, 'CRM.COMPANY.UPDATE': 0.05 },
        now: () => t,
      },
    });
    const imp = (i: number) => `crm.item.batchImport?entityTypeId=4&data[0][title]=C${i}`;
    const a = await call(srv.webhookUrl, 'batch', {
      cmd: { a: imp(1), b: imp(2), c: imp(3), d: imp(4), u: 'crm.company.update?id=1&fields[TITLE]=X' },
    });
    const r = a.body.result as {
      result: Record<string, unknown>;
      result_error: Record<string, unknown>;
      result_time: Record<string, { operating: number; operating_reset_at: number }>;
    };
    expect(Object.keys(r.result)).toEqual(['a', 'b', 'c', 'u']); // 0.4, 0.8, 1.2 — the one that crosses still completes
    expect(r.result_error).toEqual({
      d: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' },
    });
    expect(r.result_time.a?.operating).toBeCloseTo(0.4);
    expect(r.result_time.c?.operating).toBeCloseTo(1.2);
    expect(r.result_time.u?.operating).toBeCloseTo(0.05);
    expect(r.result_time.a?.operating_reset_at).toBe(t / 1000 + 600); // 10 minutes from the basket's first call
    // docs/bitrix24-api-facts.md §5: the outer batch is not counted
    expect(a.body.time).not.toHaveProperty('operating');
    const single = await call(srv.webhookUrl, 'crm.item.batchImport', { entityTypeId: 4, data: [{ title: 'x' }] });
    expect(single).toMatchObject({ status: 429, body: { error: 'OPERATION_TIME_LIMIT' } });
    expect(srv.portal.counters).toMatchObject({
      operationTimeLimit: 2,
      byStatus: { 200: 1, 429: 1 },
      commandsByMethod: { 'crm.item.batchimport': 3, 'crm.company.update': 1 },
    });
    t += 10 * 60_000; // the basket drops out
    expect(
      (await call(srv.webhookUrl, 'crm.item.batchImport', { entityTypeId: 4, data: [{ title: 'y' }] })).body.time,
    ).toMatchObject({ operating: 0.4 });
  });

  it("can charge a batch to the method `batch` instead (the SDK team's measurement)", async () => {
    srv = await testPortal({ operating: { limitSec: 1, batchAccounting: 'batch', costs: { 'crm.company.add': 0.3 } } });
    const cmd = ['crm.company.add?fields[TITLE]=a', 'crm.company.add?fields[TITLE]=b'];
    const first = await call(srv.webhookUrl, 'batch', { cmd });
    const r = first.body.result as { result_time: Array<{ operating: number }> };
    expect(first.body.time).toMatchObject({ operating: 0.6 });
    expect(r.result_time.map((x) => x.operating)).toEqual([0.6, 0.6]);
    expect((await call(srv.webhookUrl, 'batch', { cmd })).status).toBe(200); // 1.2 now
    expect((await call(srv.webhookUrl, 'batch', { cmd })).status).toBe(429);
    expect((await call(srv.webhookUrl, 'crm.company.add', { fields: { TITLE: 'c' } })).status).toBe(200);
  });
});
