import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CrmUnifyError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { loadBitrix24Config } from './config.js';
import { Bitrix24Client } from './rest-client.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ rate: 1000, burst: 1000, webhookSecret: 'hook-secret-xyz' });
});
afterAll(() => sb.stop());
afterEach(() => sb.portal.setFaults(''));

const client = (extra: Record<string, unknown> = {}, logger?: ReturnType<typeof createLogger>) =>
  new Bitrix24Client(
    loadBitrix24Config(
      { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000, retryBaseMs: 5, retryMaxMs: 20, timeoutMs: 2000, ...extra },
      {},
    ),
    logger ? { logger } : {},
  );

describe('Bitrix24 config', () => {
  it('refuses plain http to a real host, names the problem, and never echoes the secret', () => {
    const err = (() => {
      try {
        loadBitrix24Config({ webhookUrl: 'http://portal.example.ru/rest/1/top-secret-hook/' }, {});
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/https/);
    expect(err?.message).not.toContain('top-secret-hook');
    expect(loadBitrix24Config({}, { BITRIX24_WEBHOOK_URL: 'https://p.example.ru/rest/1/abcd1234' }).webhookUrl).toBe(
      'https://p.example.ru/rest/1/abcd1234/',
    );
    expect(() => loadBitrix24Config({ webhookUrl: sb.webhookUrl, batchSize: 51 }, {})).toThrow(/batchSize/);
  });
});

describe('Bitrix24Client', () => {
  it('asks beforeRequest as each request goes onto the wire: a refused one is never sent, a queued one is asked when its turn comes', async () => {
    let fenced = false;
    const c = new Bitrix24Client(
      loadBitrix24Config({ webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000, concurrency: 1, retryBaseMs: 5 }, {}),
      {
        beforeRequest: () => {
          if (fenced) throw new CrmUnifyError('INSTANCE_FENCED', 'fenced in the test');
        },
      },
    );
    sb.portal.setFaults('latency=300-300');
    sb.portal.resetCounters();
    // One connection: the second call waits in undici's queue while the first is answered.
    const first = c.call('crm.company.list', { select: ['ID'] });
    const second = c.call('crm.company.list', { select: ['ID'] });
    await new Promise((r) => setTimeout(r, 100));
    fenced = true;
    await expect(first).resolves.toBeDefined();
    await expect(second).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });
    await expect(c.call('crm.company.list')).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });
    expect(sb.portal.counters.requests).toBe(1);
    await c.close();
  });

  it('calls a method and runs a batch with $result references and per-command errors', async () => {
    const c = client();
    const id = await c.call<number>('crm.company.add', {
      fields: { TITLE: 'Single', PHONE: [{ VALUE: '+74950000001', VALUE_TYPE: 'WORK' }] },
    });
    expect(typeof id).toBe('number');
    const res = await c.batch({
      a: { method: 'crm.company.add', params: { fields: { TITLE: 'Batch & Co = 1' } } },
      b: { method: 'crm.company.get', params: { id: '$result[a]' } },
      bad: {
        method: 'crm.requisite.add',
        params: { fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: 999999, PRESET_ID: 1, NAME: 'x' } },
      },
    });
    expect((res.result.b as { TITLE: string }).TITLE).toBe('Batch & Co = 1');
    expect(res.errors.bad).toMatchObject({ error: '', error_description: 'Entity not found.' });
    await c.close();
  });

  it('waits out injected 503s and 429s and succeeds', async () => {
    sb.portal.setFaults('503=0.4,429=0.2', 3);
    const c = client({ operationLimitWaitMs: 10 });
    for (let i = 0; i < 10; i++)
      expect(await c.call('crm.company.add', { fields: { TITLE: `T${i}` } })).toBeGreaterThan(0);
    expect(sb.portal.counters.faults['503']).toBeGreaterThan(0);
    await c.close();
  });

  it('never repeats a write whose answer was lost: CRM_OUTCOME_UNKNOWN', async () => {
    sb.portal.setFaults('lost=1');
    const c = client();
    const before = sb.portal.store.all('company').length;
    await expect(c.call('crm.company.add', { fields: { TITLE: 'Lost' } })).rejects.toMatchObject({
      code: 'CRM_OUTCOME_UNKNOWN',
      retriable: true,
    });
    expect(sb.portal.store.all('company').length).toBe(before + 1); // it was applied exactly once
    await c.close();
  });

  it('treats a 500 on a write as unknown, and retries reads through 500s and lost answers', async () => {
    sb.portal.setFaults('500=1');
    const c = client();
    await expect(
      c.batch({ a: { method: 'crm.company.add', params: { fields: { TITLE: 'x' } } } }),
    ).rejects.toMatchObject({ code: 'CRM_OUTCOME_UNKNOWN' });
    sb.portal.setFaults('500=0.3,lost=0.3', 11);
    for (let i = 0; i < 5; i++) expect(Array.isArray(await c.call('crm.company.list', { start: -1 }))).toBe(true);
    await c.close();
  });

  it('stops on bad credentials and logs only the redacted URL', async () => {
    const lines: string[] = [];
    const dest = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger({ destination: dest, level: 'debug' });
    const bad = sb.webhookUrl.replace('hook-secret-xyz', 'wrong-secret-abc');
    const c = client({ webhookUrl: bad }, logger);
    const err: Error = await c
      .call('crm.company.list')
      .catch((e: unknown) => e as Error)
      .then((x) => x as Error);
    expect(err).toMatchObject({ code: 'CRM_UNAUTHORIZED', retriable: false });
    expect(err.message).not.toContain('wrong-secret-abc');
    sb.portal.setFaults('503=0.5', 5);
    const ok = client({}, logger);
    await ok.call('crm.company.list');
    await Promise.all([c.close(), ok.close()]);
    logger.flush();
    await new Promise((r) => setTimeout(r, 20));
    expect(lines.join('')).not.toContain('hook-secret-xyz');
  });
});

describe('operating pacing', () => {
  /** One clock for the portal's meter and the client: a wait passes at once, baskets still expire. */
  const fakeClock = () => {
    const c = {
      t: Date.UTC(2026, 0, 1, 10, 0, 0),
      now: () => c.t,
      sleep: async (ms: number) => {
        c.t += ms;
      },
    };
    return c;
  };
  const costs = { 'crm.company.add': 0.05, 'crm.item.batchImport': 0.2 };
  /** 6 batches of 10 adds (3 s) in parallel and 12 single imports (2.4 s), against a 2 s limit. */
  const workload = async (c: Bitrix24Client) => {
    const batch = (b: number) =>
      c.batch(
        Object.fromEntries(
          Array.from({ length: 10 }, (_, i) => [
            `k${i}`,
            { method: 'crm.company.add', params: { fields: { TITLE: `B${b}-${i}` } } },
          ]),
        ),
      );
    const imports = async () => {
      for (let i = 0; i < 12; i++)
        await c.call('crm.item.batchImport', { entityTypeId: 4, data: [{ title: `I${i}` }] });
    };
    const results = await Promise.all([imports(), ...Array.from({ length: 6 }, (_, b) => batch(b))]);
    return results.slice(1).flatMap((r) => Object.values((r as Awaited<ReturnType<typeof batch>>).errors));
  };

  it('an unpaced client meets OPERATION_TIME_LIMIT; the paced one never does and still finishes', async () => {
    const clock = fakeClock();
    const unpacedSb = await startSandbox({
      rate: 1000,
      burst: 1000,
      operating: { limitSec: 2, costSec: 0, costs, now: clock.now },
    });
    const unpaced = new Bitrix24Client(
      loadBitrix24Config(
        { webhookUrl: unpacedSb.webhookUrl, rate: 1000, burst: 1000, retries: 0, operatingPacing: false },
        {},
      ),
      { clock },
    );
    await workload(unpaced).catch(() => undefined); // single calls fail with 429 (no retries), batch commands in result_error
    expect(unpacedSb.portal.counters.operationTimeLimit).toBeGreaterThan(0);
    await Promise.all([unpaced.close(), unpacedSb.stop()]);

    const paceClock = fakeClock();
    const pacedSb = await startSandbox({
      rate: 1000,
      burst: 1000,
      operating: { limitSec: 2, costSec: 0, costs, now: paceClock.now },
    });
    const paced = new Bitrix24Client(
      loadBitrix24Config(
        {
          webhookUrl: pacedSb.webhookUrl,
          rate: 1000,
          burst: 1000,
          retries: 0,
          operatingLimitSec: 2,
          operatingHeadroomSec: 0.2,
        },
        {},
      ),
      { clock: paceClock },
    );
    expect(await workload(paced)).toEqual([]);
    expect(pacedSb.portal.counters.operationTimeLimit).toBe(0);
    expect(pacedSb.portal.store.counts().company).toBe(72);
    expect(paceClock.t - Date.UTC(2026, 0, 1, 10, 0, 0)).toBeGreaterThanOrEqual(10 * 60_000); // it waited for baskets to reset
    expect(paced.operating.costOf('crm.company.add')).toBeCloseTo(0.05);
    expect(paced.operating.costOf('crm.item.batchImport')).toBeCloseTo(0.2);
    await Promise.all([paced.close(), pacedSb.stop()]);
  });
});
