import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CrmUnifyError } from '../../core/errors.js';
import { createMetrics } from '../../metrics/metrics.js';
import { MemoryRegistryCache } from './cache.js';
import { loadEgrulConfig, type EgrulConfig } from './config.js';
import { DadataClient, FIND_PARTY_PATH } from './dadata-client.js';
import { EgrulVerifier } from './verifier.js';

/** A minimal DaData stand-in: a registry, a `mode` switch and a request counter. */
const registry: Record<string, string> = {
  '7707083893': 'ACTIVE',
  '7736050003': 'LIQUIDATED',
  '7704211201': 'REORGANIZING',
};
let mode: 'ok' | 'down' | 'reset' | '401' | '403' | '429' = 'ok';
let calls = 0;
let lastAuth = '';
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      calls++;
      lastAuth = req.headers.authorization ?? '';
      if (mode === 'reset') return req.socket.destroy();
      const status = { ok: 200, down: 503, '401': 401, '403': 403, '429': 429 }[mode];
      if (req.url !== FIND_PARTY_PATH || status !== 200) {
        res.writeHead(status === 200 ? 404 : status, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            family: 'CLIENT_ERROR',
            reason: 'Forbidden',
            message: "Feature disabled for token 'sekret-token-1234'",
          }),
        );
      }
      const { query } = JSON.parse(raw) as { query: string };
      const status0 = registry[query];
      const suggestions = status0
        ? [
            { value: 'ФИЛИАЛ', data: { inn: query, branch_type: 'BRANCH', state: { status: 'ACTIVE' } } },
            {
              value: 'ООО ТЕСТ',
              data: { inn: query, branch_type: 'MAIN', ogrn: '1027700132195', state: { status: status0 } },
            },
          ]
        : [];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ suggestions }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  mode = 'ok';
  calls = 0;
});

function setup(extra: Record<string, unknown> = {}) {
  const config: EgrulConfig = loadEgrulConfig(
    { url, token: 'sekret-token-1234', retryBaseMs: 20, retryMaxMs: 50, ...extra },
    {},
  );
  const metrics = createMetrics(undefined, { defaultMetrics: false });
  const client = new DadataClient(config, { metrics });
  const cache = new MemoryRegistryCache();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const verifier = new EgrulVerifier(config, { client, cache, metrics, now: () => now });
  return { verifier, cache, metrics, client, advance: (ms: number) => (now += ms) };
}

describe('EgrulVerifier', () => {
  it('sends the token and maps the MAIN branch status', async () => {
    const { verifier } = setup();
    expect(await verifier.verify('7707083893')).toMatchObject({ ok: true, warnings: [] });
    expect(lastAuth).toBe('Token sekret-token-1234');
    expect(await verifier.verify('7736050003')).toMatchObject({ ok: false, reason: 'EGRUL_NOT_ACTIVE' });
    expect(await verifier.verify('7704211201')).toMatchObject({ ok: true, warnings: ['EGRUL_REORGANIZING'] });
    expect(await verifier.verify('5003052454')).toMatchObject({ ok: false, reason: 'EGRUL_NOT_FOUND' });
  });

  it('answers a replay from the cache with zero register calls, not-found included', async () => {
    const { verifier, metrics } = setup();
    const inns = ['7707083893', '7736050003', '5003052454'];
    const first = await Promise.all(inns.map((i) => verifier.verify(i)));
    expect(calls).toBe(3);
    calls = 0;
    expect(await Promise.all(inns.map((i) => verifier.verify(i)))).toEqual(first);
    expect(calls).toBe(0);
    const hits = (await metrics.cache.get()).values.find((v) => v.labels.result === 'hit');
    expect(hits?.value).toBe(3);
  });

  it('keeps not-found for hours and found statuses for days', async () => {
    const { verifier, advance } = setup({ notFoundTtlHours: 24, cacheTtlDays: 30 });
    await verifier.verify('7707083893');
    await verifier.verify('5003052454');
    advance(25 * 3_600_000);
    calls = 0;
    await verifier.verify('7707083893');
    await verifier.verify('5003052454');
    expect(calls).toBe(1);
  });

  it('rechecks past a fresh cache entry and leaves the entry for the caller to store', async () => {
    const { verifier, cache } = setup();
    await verifier.verify('7707083893');
    const before = cache.entries.get('7707083893');
    registry['7707083893'] = 'LIQUIDATED';
    try {
      calls = 0;
      expect((await verifier.recheck('7707083893')).status).toBe('LIQUIDATED');
      expect(calls).toBe(1);
      expect(cache.entries.get('7707083893')).toEqual(before);
      expect((await verifier.lookup('7707083893')).status).toBe('ACTIVE');
    } finally {
      registry['7707083893'] = 'ACTIVE';
    }
  });

  it('shares one request between concurrent asks for the same INN', async () => {
    const { verifier } = setup();
    await Promise.all(Array.from({ length: 10 }, () => verifier.verify('7707083893')));
    expect(calls).toBe(1);
  });

  it('never has more look-ups in flight than its concurrency, and serves the waiting ones in turn', async () => {
    const config = loadEgrulConfig({ url, token: 't', rate: 10_000, concurrency: 3 }, {});
    let running = 0;
    let peak = 0;
    const client = {
      findParty: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return [];
      },
    } as unknown as DadataClient;
    const verifier = new EgrulVerifier(config, { client });
    const inns = Array.from({ length: 20 }, (_, i) => String(7700000000 + i));
    const looked = await Promise.all(inns.map((inn) => verifier.lookup(inn)));
    expect(looked.map((s) => s.status)).toEqual(inns.map(() => 'NOT_FOUND'));
    expect(peak).toBe(3);
    expect(verifier.requestsInFlight).toBe(0);
  });

  it.each(['down', 'reset', '429'] as const)(
    'holds look-ups through an outage (%s) and never says not-found',
    async (m) => {
      const { verifier } = setup();
      mode = m;
      let settled = false;
      const pending = verifier.verify('7707083893').finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      expect(calls).toBeGreaterThan(2);
      mode = 'ok';
      expect(await pending).toMatchObject({ ok: true });
    },
  );

  it.each(['401', '403'] as const)('stops at once on HTTP %s with a clear message and no token', async (m) => {
    const { verifier } = setup();
    mode = m;
    const err = await verifier.verify('7707083893').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrmUnifyError);
    expect(err).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', retriable: false });
    expect((err as Error).message).toMatch(/DADATA_TOKEN/);
    expect((err as Error).message).not.toContain('sekret-token-1234');
    expect(calls).toBe(1);
  });

  it('gives up after the configured retries when limited', async () => {
    const { verifier } = setup({ retries: 2 });
    mode = 'down';
    await expect(verifier.verify('7707083893')).rejects.toMatchObject({ code: 'RETRIES_EXHAUSTED' });
    expect(calls).toBe(3);
  });

  it('takes the token from DADATA_TOKEN and refuses to start without one', () => {
    expect(loadEgrulConfig({}, { DADATA_TOKEN: 'from-env-token' }).token).toBe('from-env-token');
    expect(() => loadEgrulConfig({}, {})).toThrow(/DADATA_TOKEN/);
  });
});
