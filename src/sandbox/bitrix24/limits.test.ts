import { afterEach, describe, expect, it } from 'vitest';
import type { PortalServer } from './index.js';
import { LeakyBucket } from './leaky-bucket.js';
import { call, testPortal } from './test-helpers.js';

describe('LeakyBucket', () => {
  it('lets a burst through, refuses the next, drains at the rate', () => {
    let t = 0;
    const b = new LeakyBucket(2, 50, () => t);
    for (let i = 0; i < 50; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t += 500; // one request drained
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t += 10_000;
    expect(b.current.level).toBe(30);
  });

  it('Infinity turns it off', () => {
    const b = new LeakyBucket(Infinity, 50, () => 0);
    for (let i = 0; i < 500; i++) expect(b.take()).toBe(true);
  });
});

describe('portal limits over HTTP', () => {
  let srv: PortalServer | undefined;
  afterEach(() => srv?.stop());

  it('answers 503 QUERY_LIMIT_EXCEEDED past the burst and does not run the call', async () => {
    srv = await testPortal({ rate: 0.01, burst: 5 }); // a slow drain keeps the count exact on a busy machine
    const answers = await Promise.all(Array.from({ length: 8 }, () => call(srv!.webhookUrl, 'crm.company.add', { fields: { TITLE: 'x' } })));
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
    expect(await call(srv.webhookUrl, 'crm.company.list')).toEqual({ status: 429,
      body: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' } });
    expect((await call(srv.webhookUrl, 'crm.contact.list')).status).toBe(200); // other methods keep working
  });
});
