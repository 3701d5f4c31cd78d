import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_REGISTRY_PATH, FIND_PARTY_PATH, startEgrul, type EgrulServer, type EgrulOptions } from './server.js';
import { loadRegistry, type Registry } from './registry.js';

const registry: Registry = {
  '7707083893': {
    status: 'ACTIVE',
    name: 'ПАО СБЕРБАНК',
    ogrn: '1027700132195',
    kpp: '773601001',
    branches: [{ kpp: '540602001', name: 'СИБИРСКИЙ БАНК ПАО СБЕРБАНК' }],
  },
  '7719402047': { status: 'LIQUIDATED', name: 'ООО "МОТОРИКА"', ogrn: '1157746600230', kpp: '771901001' },
  '500100732259': { status: 'ACTIVE', name: 'ИП Петров Пётр Петрович', ogrn: '304500116000061' },
};

let srv: EgrulServer | undefined;
afterEach(() => srv?.stop());

const start = async (o: EgrulOptions = {}) => (srv = await startEgrul({ registry, latencyMs: 0, ...o }));
async function find(body: unknown, token: string | null = 'sandbox-token') {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token !== null) headers.authorization = `Token ${token}`;
  const res = await fetch(`${srv?.url}${FIND_PARTY_PATH}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return {
    status: res.status,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep assertions on a foreign JSON shape
    body: (await res.json()) as { suggestions: Array<{ value: string; data: Record<string, any> }> },
  };
}

describe('EGRUL emulator (DaData findById/party)', () => {
  it('answers the MAIN organisation first, then branches, in DaData shape', async () => {
    await start();
    const a = await find({ query: '7707083893' });
    expect(a.status).toBe(200);
    expect(a.body.suggestions).toHaveLength(2);
    expect(a.body.suggestions[0]).toMatchObject({
      value: 'ПАО СБЕРБАНК',
      unrestricted_value: 'ПАО СБЕРБАНК',
      data: {
        inn: '7707083893',
        kpp: '773601001',
        ogrn: '1027700132195',
        type: 'LEGAL',
        branch_type: 'MAIN',
        branch_count: 1,
        state: { status: 'ACTIVE' },
        opf: { short: 'ПАО' },
        name: { short_with_opf: 'ПАО СБЕРБАНК', full_with_opf: 'ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО СБЕРБАНК' },
      },
    });
    expect(a.body.suggestions[1]?.data).toMatchObject({ kpp: '540602001', branch_type: 'BRANCH' });
    expect((await find({ query: '7707083893', branch_type: 'MAIN' })).body.suggestions).toHaveLength(1);
    expect((await find({ query: '7707083893', kpp: '540602001' })).body.suggestions[0]?.data.branch_type).toBe(
      'BRANCH',
    );
    expect((await find({ query: '1027700132195', count: 1 })).body.suggestions).toHaveLength(1); // by OGRN
  });

  it('reports statuses, individual entrepreneurs and unknown INNs', async () => {
    await start();
    expect((await find({ query: '7719402047' })).body.suggestions[0]?.data.state.status).toBe('LIQUIDATED');
    const ip = (await find({ query: '500100732259', branch_type: 'MAIN' })).body.suggestions[0]?.data;
    expect(ip).toMatchObject({
      type: 'INDIVIDUAL',
      kpp: null,
      ogrn: '304500116000061',
      fio: { surname: 'Петров', name: 'Пётр', patronymic: 'Петрович' },
    });
    expect(await find({ query: '7728168971' })).toEqual({ status: 200, body: { suggestions: [] } });
    expect(srv?.counters).toMatchObject({ requests: 3, found: 2, notFound: 1 });
  });

  it('401 without a token, 403 with a wrong one, 400 without query, 404/405 elsewhere', async () => {
    await start({ token: 'right' });
    expect((await find({ query: '7707083893' }, null)).status).toBe(401);
    const wrong = await find({ query: '7707083893' }, 'wrong');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ family: 'CLIENT_ERROR', reason: 'Forbidden' });
    expect((await find({}, 'right')).status).toBe(400);
    expect((await fetch(`${srv?.url}/nope`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${srv?.url}${FIND_PARTY_PATH}`)).status).toBe(405);
  });

  it('429 above the rate limit', async () => {
    await start({ rateLimit: 3 });
    const statuses = await Promise.all(
      Array.from({ length: 5 }, async () => (await find({ query: '7707083893' })).status),
    );
    expect(statuses.sort()).toEqual([200, 200, 200, 429, 429]);
  });

  it('applies the configured latency (400 ms by default)', async () => {
    expect(new (await import('./server.js')).EgrulServer({}).latencyMs).toBe(400);
    await start({ latencyMs: 150 });
    const t0 = performance.now();
    await find({ query: '7707083893' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('goes down and comes back at runtime: 503, then connection refused, then up on the same port', async () => {
    await start();
    const port = srv!.port;
    await srv!.setDown('503');
    expect((await find({ query: '7707083893' })).status).toBe(503);
    await srv!.setDown('refuse');
    await expect(find({ query: '7707083893' })).rejects.toThrow(/fetch failed/);
    await srv!.setDown(false);
    expect(srv!.port).toBe(port);
    expect((await find({ query: '7707083893' })).status).toBe(200);
  });

  it('changes the register at run time through POST /admin/registry, without counting look-ups', async () => {
    await start();
    const admin = (body: unknown, token = 'sandbox-token') =>
      fetch(`${srv?.url}${ADMIN_REGISTRY_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Token ${token}` },
        body: JSON.stringify(body),
      });
    const liquidate = await admin({
      '7707083893': { status: 'LIQUIDATED', name: 'ПАО СБЕРБАНК', ogrn: '1027700132195', kpp: '773601001' },
      '7728168971': { status: 'ACTIVE', name: 'ООО "НОВАЯ"', ogrn: '1027700000001', kpp: '772801001' },
      '500100732259': null,
    });
    expect(liquidate.status).toBe(200);
    expect(await liquidate.json()).toEqual({ upserted: 2, removed: 1, size: 3 });
    expect((await find({ query: '7707083893', branch_type: 'MAIN' })).body.suggestions[0]?.data.state.status).toBe(
      'LIQUIDATED',
    );
    expect((await find({ query: '1027700000001' })).body.suggestions[0]?.data.inn).toBe('7728168971'); // the OGRN index follows
    expect((await find({ query: '500100732259' })).body.suggestions).toEqual([]);
    expect(srv?.counters.requests).toBe(3);
    expect((await admin({ '123': { status: 'ACTIVE', name: 'x' } })).status).toBe(400);
    expect((await admin({ '7707083893': { status: 'ALIVE', name: 'x' } })).status).toBe(400);
    expect((await admin({}, 'wrong')).status).toBe(403);
    expect(srv?.entry('7707083893')?.status).toBe('LIQUIDATED'); // refused changes changed nothing
  });

  it('rejects a bad registry with the INN and field named', () => {
    expect(() => loadRegistry({ '123': { status: 'ACTIVE', name: 'x' } } as never)).toThrow(/10- or 12-digit/);
    expect(() => loadRegistry({ '7707083893': { status: 'ALIVE', name: 'x' } } as never)).toThrow(/7707083893\.status/);
  });
});
