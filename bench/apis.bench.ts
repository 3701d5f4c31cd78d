/**
 * External-API throughput against the sandbox (DESIGN §10): Bitrix24 commands/s against the
 * portal's bound (rate × 50 commands per batch request) and EGRUL look-ups/s against
 * min(rate, concurrency ÷ latency). Rates are scaled up from production so the run is short;
 * the ratio is what carries over. Prints one JSON line. Run: npx tsx bench/apis.bench.ts
 */
import { pathToFileURL } from 'node:url';
import {
  Bitrix24Client,
  Bitrix24Loader,
  loadBitrix24Config,
  type GoldenCompany,
} from '../src/connectors/bitrix24/index.js';
import { DadataClient, EgrulVerifier, MemoryRegistryCache, loadEgrulConfig } from '../src/connectors/egrul/index.js';
import { startSandbox } from '../src/sandbox/sandbox.js';

export interface CrmBenchOptions {
  rate?: number;
  burst?: number;
  companies?: number;
  chunk?: number;
}
export interface RegistryBenchOptions {
  rate?: number;
  concurrency?: number;
  latencyMs?: number;
  lookups?: number;
}

function goldenCompany(i: number): GoldenCompany {
  // Every company its own INN: the loader looks each one up before creating (adoption).
  const g = `bench-${i}`;
  return {
    goldenId: g,
    hash: 'h',
    kind: 'ORG',
    name: `ООО "Бенч ${i}"`,
    phones: [{ e164: `+7495${String(i).padStart(7, '0')}` }],
    emails: [`b${i}@bench.ru`],
    requisites: [{ inn: String(7_700_000_001 + i), kpp: '773601001', ogrn: '1027700132195', name: `Бенч ${i}` }],
    bankAccounts: [{ bik: '044525225', account: `407028109380${String(i).padStart(8, '0')}` }],
    contacts: [
      {
        goldenId: `${g}-c`,
        lastName: 'Иванов',
        firstName: 'Иван',
        phones: [{ e164: '+79161234567', type: 'MOBILE' }],
        emails: [],
      },
    ],
  };
}

/** Steady-state CRM throughput: the burst is spent before the clock starts, so the bound is rate × 50. */
export async function benchCrm(opts: CrmBenchOptions = {}) {
  const rate = opts.rate ?? 20;
  const burst = opts.burst ?? 50;
  const sb = await startSandbox({ rate, burst });
  try {
    const config = loadBitrix24Config({ webhookUrl: sb.webhookUrl, rate, burst, concurrency: 4 }, {});
    const client = new Bitrix24Client(config);
    const loader = new Bitrix24Loader(client, config);
    await loader.load([goldenCompany(-1)]); // resolves presets, warms the connection
    while (client.bucket.fill < client.bucket.capacity - 1)
      await client.call('crm.company.list', { start: -1, select: ['ID'] });
    sb.portal.resetCounters();
    const total = opts.companies ?? 1500;
    const chunk = opts.chunk ?? 500;
    const started = performance.now();
    for (let i = 0; i < total; i += chunk) {
      await loader.load(Array.from({ length: Math.min(chunk, total - i) }, (_, k) => goldenCompany(i + k)));
    }
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    const perSec = sb.portal.counters.commands / seconds;
    return {
      crmCommandsPerSec: perSec,
      crmBound: rate * 50,
      crmVsBound: perSec / (rate * 50),
      crm503: sb.portal.counters.queryLimitExceeded,
      seconds,
    };
  } finally {
    await sb.stop();
  }
}

/** Register look-ups of distinct INNs (all cache misses) through the verifier's rate and concurrency. */
export async function benchRegistry(opts: RegistryBenchOptions = {}) {
  const rate = opts.rate ?? 100;
  const concurrency = opts.concurrency ?? 16;
  const latencyMs = opts.latencyMs ?? 100;
  const sb = await startSandbox({ egrulLatencyMs: latencyMs, egrulRateLimit: rate * 10 });
  try {
    // A small burst (2): no initial spike to flatter the figure, yet timer overshoot is not lost.
    const config = loadEgrulConfig({ url: sb.egrulUrl, token: sb.egrulToken, rate, burst: 2, concurrency }, {});
    const client = new DadataClient(config);
    const verifier = new EgrulVerifier(config, { client, cache: new MemoryRegistryCache() });
    const n = opts.lookups ?? 600;
    const started = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => verifier.verify(String(7700000000 + i))));
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    const bound = Math.min(rate, concurrency / (latencyMs / 1000));
    return { registryPerSec: n / seconds, registryBound: bound, registryVsBound: n / seconds / bound, seconds };
  } finally {
    await sb.stop();
  }
}

export async function main(): Promise<void> {
  const crm = await benchCrm();
  const reg = await benchRegistry();
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      bench: 'apis',
      crmCommandsPerSec: r3(crm.crmCommandsPerSec),
      crmBound: crm.crmBound,
      crmVsBound: r3(crm.crmVsBound),
      crm503: crm.crm503,
      registryPerSec: r3(reg.registryPerSec),
      registryBound: reg.registryBound,
      registryVsBound: r3(reg.registryVsBound),
    }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
