import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { MemoryRegistryCache } from './cache.js';
import { loadEgrulConfig } from './config.js';
import { DadataClient } from './dadata-client.js';
import { EgrulVerifier } from './verifier.js';

/** The same behaviour against the sandbox's DaData-compatible emulator. */
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({
    egrulLatencyMs: 5,
    egrulRateLimit: 1000,
    registry: {
      '7707083893': {
        status: 'ACTIVE',
        name: 'ПАО СБЕРБАНК',
        ogrn: '1027700132195',
        kpp: '773601001',
        branches: [{ kpp: '540602001', status: 'LIQUIDATED' }],
      },
      '7736050003': { status: 'BANKRUPT', name: 'ООО БАНКРОТ' },
      '500100732259': { status: 'ACTIVE', name: 'ИП ТЕСТОВ' },
    },
  });
});
afterAll(() => sb.stop());

function verifier(token = sb.egrulToken) {
  const config = loadEgrulConfig({ url: sb.egrulUrl, token, retryBaseMs: 20, retryMaxMs: 100 }, {});
  return new EgrulVerifier(config, { client: new DadataClient(config), cache: new MemoryRegistryCache() });
}

describe('EGRUL verifier against the sandbox emulator', () => {
  it('maps statuses (MAIN decides over a liquidated branch) and caches', async () => {
    const v = verifier();
    sb.egrul.resetCounters();
    expect(await v.verify('7707083893')).toMatchObject({ ok: true });
    expect(await v.verify('500100732259')).toMatchObject({ ok: true });
    expect(await v.verify('7736050003')).toMatchObject({ ok: false, reason: 'EGRUL_NOT_ACTIVE' });
    expect(await v.verify('5003052454')).toMatchObject({ ok: false, reason: 'EGRUL_NOT_FOUND' });
    await Promise.all(['7707083893', '500100732259', '7736050003', '5003052454'].map((i) => v.verify(i)));
    expect(sb.egrul.counters.requests).toBe(4);
  });

  it.each(['503', 'refuse'] as const)(
    'holds look-ups while the register is down (%s) and finishes when it is back',
    async (mode) => {
      const v = verifier();
      await sb.egrul.setDown(mode);
      let settled = false;
      const pending = Promise.all(['7707083893', '5003052454'].map((i) => v.verify(i))).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 400));
      expect(settled).toBe(false);
      await sb.egrul.setDown(false);
      const [a, b] = await pending;
      expect(a).toMatchObject({ ok: true });
      expect(b).toMatchObject({ reason: 'EGRUL_NOT_FOUND' }); // a real answer, not the outage
    },
  );

  it('stops on a wrong token without retrying', async () => {
    const v = verifier('wrong-token-value');
    sb.egrul.resetCounters();
    await expect(v.verify('7707083893')).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    expect(sb.egrul.counters.requests).toBe(1);
  });
});
