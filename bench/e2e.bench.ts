/**
 * Measures 5 (end to end against the API bound) and 7 (replay of already-loaded data), DESIGN §10.
 *
 * A seed-scale subset — `generate` at a fraction of the seed scale, every proportion kept (default
 * 0.06 ≈ 10 000 companies) — runs through the full chain exactly as the demo wires it
 * (topologies/demo.ts `demoTopologies`: Shop A tables and Shop B events from memory, Shop B's
 * dump as a real windows-1251 file through the dump source; map → verify (EGRUL) → resolve
 * (LevelDB) → load (Bitrix24)) against the in-process sandbox with scaled-up rates. The bound is
 * max(register requests ÷ register bound rate, (CRM requests − burst) ÷ portal rate), from the
 * sandbox's own counters (the portal's bucket starts empty, so its first `burst` requests are free).
 *
 * Then the replay: the same state dir and the same sandbox, the dump position reset as
 * `crm-unify replay shop-b --to earliest` does, every source read again. The portal's write
 * counter must not move.
 *
 *   npx tsx bench/e2e.bench.ts          (E2E_FRACTION=0.06)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Bitrix24ConfigSchema } from '../src/connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../src/connectors/egrul/config.js';
import { dumpKey } from '../src/connectors/json-dump/positions.js';
import { parseConfig } from '../src/core/config.js';
import { silentLogger } from '../src/core/logger.js';
import { generate, type Dataset } from '../src/gen/dataset.js';
import { evaluateDedup, type DedupScore } from '../src/gen/evaluate.js';
import { writeDataset } from '../src/gen/write.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { buildPipelineDeps } from '../src/pipeline/build-deps.js';
import { StatePositionStore } from '../src/pipeline/state-positions.js';
import { runTopology } from '../src/pipeline/topology.js';
import { rejectParkedContacts } from '../src/runtime/parked.js';
import { startSandbox, type Sandbox } from '../src/sandbox/sandbox.js';
import { openLevelStore, type LevelStateStore } from '../src/state/level-store.js';
import { demoTopologies } from '../topologies/demo.js';
import { scaleFraction } from './core.bench.js';

/** Scaled rates: the portal 10× its default (2/s), the register about 7× DaData's 30/s at a quarter of the seed's latency. */
export const e2eRates = {
  portal: { rate: 20, burst: 50, concurrency: 4 },
  registry: { rate: 200, concurrency: 32, latencyMs: 100 },
  load: { windowMs: 250, maxRecords: 1000 },
  maxInFlight: 4000,
} as const;

export const registryBound = (r: { rate: number; concurrency: number; latencyMs: number }) => Math.min(r.rate, r.concurrency / (r.latencyMs / 1000));

export interface RunFigures {
  seconds: number;
  sourceRecords: number;
  recordsPerSec: number;
  registryRequests: number;
  crmRequests: number;
  crmCommands: number;
  crmWrites: number;
  crm503: number;
  registrySeconds: number;
  crmSeconds: number;
  boundSeconds: number;
  vsBound: number;
  /** Time spent inside delivery rounds (the load stage), summed over overlapping rounds. */
  loadStageSeconds: number;
  deliveryRounds: number;
}

export interface E2eFigures {
  fraction: number;
  companiesInUniverse: number;
  input: Dataset['truth']['counts'];
  rates: typeof e2eRates;
  run: RunFigures;
  replay: RunFigures;
  crm: Record<string, number>;
  dedup: DedupScore;
}

export function sourceRecordCount(ds: Dataset): number {
  return ds.shopA.companies.length + ds.shopA.contacts.length + ds.shopB.dump.length + ds.shopB.events.length;
}

export async function runOnce(ds: Dataset, dumpPath: string, store: LevelStateStore, sb: Sandbox, opts: { replay: boolean }): Promise<{ figures: RunFigures; deps: ReturnType<typeof buildPipelineDeps> }> {
  const r = e2eRates;
  const deps = buildPipelineDeps({
    store,
    crm: parseConfig(Bitrix24ConfigSchema, { webhookUrl: sb.webhookUrl, rate: r.portal.rate, burst: r.portal.burst, concurrency: r.portal.concurrency }),
    registry: parseConfig(EgrulConfigSchema, { url: sb.egrulUrl, token: sb.egrulToken, rate: r.registry.rate, concurrency: r.registry.concurrency }),
    metrics: createMetrics(undefined, { defaultMetrics: false }),
    logger: silentLogger,
    maxInFlight: r.maxInFlight,
    load: r.load,
  });
  const positions = new StatePositionStore(store);
  if (opts.replay) await positions.delete(dumpKey('shop-b.dump')); // = crm-unify replay shop-b --to earliest
  sb.portal.resetCounters();
  sb.egrul.resetCounters();
  let loadStageSeconds = 0;
  let deliveryRounds = 0;
  const deliver = deps.delivery.deliver.bind(deps.delivery);
  deps.delivery.deliver = async (inns) => {
    const t = performance.now();
    try {
      return await deliver(inns);
    } finally {
      loadStageSeconds += (performance.now() - t) / 1000;
      deliveryRounds++;
    }
  };
  const started = performance.now();
  const stop = new AbortController();
  await Promise.all(demoTopologies(ds, dumpPath, positions).map((t) => runTopology(t, deps, stop.signal)));
  await deps.resolver.flush();
  await rejectParkedContacts(store, deps.summary);
  const seconds = (performance.now() - started) / 1000;
  const c = sb.portal.counters;
  const registryRequests = sb.egrul.counters.requests;
  const registrySeconds = registryRequests / registryBound(r.registry);
  // The portal's bucket starts empty, so its first `burst` requests pass at once: the least time
  // the portal allows is (requests − burst) ÷ rate — a stricter bound than requests ÷ rate.
  const crmSeconds = Math.max(0, c.requests - r.portal.burst) / r.portal.rate;
  const boundSeconds = Math.max(registrySeconds, crmSeconds);
  const sourceRecords = sourceRecordCount(ds);
  return {
    deps,
    figures: {
      seconds, sourceRecords, recordsPerSec: sourceRecords / seconds,
      registryRequests, crmRequests: c.requests, crmCommands: c.commands, crmWrites: c.writes, crm503: c.queryLimitExceeded,
      registrySeconds, crmSeconds, boundSeconds, vsBound: boundSeconds > 0 ? seconds / boundSeconds : Number.NaN,
      loadStageSeconds, deliveryRounds,
    },
  };
}

export async function benchE2e(opts: { fraction?: number; seed?: number; log?: (m: string) => void } = {}): Promise<E2eFigures> {
  const log = opts.log ?? (() => {});
  const fraction = opts.fraction ?? 0.06;
  const scale = scaleFraction(fraction);
  const ds = generate(scale, opts.seed ?? 1);
  const dir = await mkdtemp(join(tmpdir(), 'crm-unify-bench-e2e-'));
  const sb = await startSandbox({ registry: ds.registry, rate: e2eRates.portal.rate, burst: e2eRates.portal.burst, egrulLatencyMs: e2eRates.registry.latencyMs, egrulRateLimit: e2eRates.registry.rate * 2 });
  let store: LevelStateStore | undefined;
  try {
    const paths = await writeDataset(ds, dir);
    store = await openLevelStore(join(dir, 'state'));
    log(`e2e: ${sourceRecordCount(ds)} source records, ${scale.shopACompanies + scale.shopBCompanies - scale.overlap} companies: first run`);
    const first = await runOnce(ds, paths.shopBDump, store, sb, { replay: false });
    const counts = sb.portal.store.counts();
    const dedup = await evaluateDedup(store, ds.truth);
    log(`e2e: first run ${first.figures.seconds.toFixed(1)} s (bound ${first.figures.boundSeconds.toFixed(1)} s); replay`);
    const replay = await runOnce(ds, paths.shopBDump, store, sb, { replay: true });
    return {
      fraction, companiesInUniverse: scale.shopACompanies + scale.shopBCompanies - scale.overlap, input: ds.truth.counts, rates: e2eRates,
      run: first.figures, replay: replay.figures,
      crm: { companies: counts.company, requisites: counts.requisite, bankDetails: counts.bankdetail, contacts: counts.contact },
      dedup,
    };
  } finally {
    await store?.close();
    await sb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fraction = process.env.E2E_FRACTION ? Number(process.env.E2E_FRACTION) : undefined;
  const r = await benchE2e({ ...(fraction === undefined ? {} : { fraction }), log: (m) => process.stderr.write(`${m}\n`) });
  console.log(JSON.stringify({ bench: 'e2e', ...r }));
}
