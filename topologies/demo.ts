import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bitrix24ConfigSchema } from '../src/connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../src/connectors/egrul/config.js';
import { JsonDumpSource } from '../src/connectors/json-dump/json-dump.source.js';
import type { MysqlRow } from '../src/connectors/mysql/rows.js';
import { MemorySource } from '../src/connectors/memory/memory.source.js';
import { parseConfig } from '../src/core/config.js';
import type { Logger } from '../src/core/logger.js';
import { adoptionReport, snapshotSeed, type AdoptionReport } from '../src/gen/adoption-report.js';
import { crmSeedFrom } from '../src/gen/crm-seed.js';
import { generate, scales, type Dataset } from '../src/gen/dataset.js';
import { evaluateDedup, type DedupScore } from '../src/gen/evaluate.js';
import { writeDataset } from '../src/gen/write.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { buildPipelineDeps } from '../src/pipeline/build-deps.js';
import { StatePositionStore } from '../src/pipeline/state-positions.js';
import { phase, type Topology } from '../src/pipeline/topology.js';
import { runPipeline } from '../src/runtime/run-pipeline.js';
import { startSandbox, type CrmSeedResult } from '../src/sandbox/sandbox.js';
import { openLevelStore } from '../src/state/level-store.js';
import { mapShopARow, mapShopBDumpElement, mapShopBMessage } from './mappers.js';

/**
 * The embedded default: sample data of both stores with realistic dirt, an in-process sandbox
 * (portal + register), and both topologies run to completion on a fresh state dir. Shop A's
 * tables and Shop B's topic are played from memory (nothing else needs to run); Shop B's dump
 * is a real windows-1251 file read by the real dump source.
 */
export function demoTopologies(ds: Dataset, dumpPath: string, positions: StatePositionStore): Topology[] {
  const rows: MysqlRow[] = [
    ...ds.shopA.companies.map((row) => ({ table: 'companies', row: row as unknown as Record<string, unknown> })),
    ...ds.shopA.contacts.map((row) => ({ table: 'contacts', row: row as unknown as Record<string, unknown> })),
  ];
  const messages = ds.shopB.events.map((e) => ({ value: Buffer.from(e.value), tombstone: false }));
  return [
    { name: 'shop-a', groups: [[phase({ name: 'shop-a.tables', mapper: mapShopARow, open: async () => ({ source: new MemorySource(rows, { name: 'shop-a.tables' }) }) })]] },
    {
      name: 'shop-b',
      groups: [
        [phase({ name: 'shop-b.dump', mapper: mapShopBDumpElement, open: async () => ({ source: new JsonDumpSource({ config: { name: 'shop-b.dump', path: dumpPath, encoding: 'windows-1251', readChunkBytes: 256 * 1024 }, positions }) }) })],
        [phase({ name: 'shop-b.events', mapper: mapShopBMessage, open: async () => ({ source: new MemorySource(messages, { name: 'shop-b.events' }) }) })],
      ],
    },
  ];
}

export interface DemoReport {
  summary: ReturnType<ReturnType<typeof buildPipelineDeps>['summary']['toJSON']>;
  crm: Record<string, number>;
  expected: { companies: number; contacts: number };
  input: Dataset['truth']['counts'];
  registerRequests: number;
  crmRequests: number;
  crm503: number;
  dedup: DedupScore;
  /** The companies and contacts people had entered before the run, as the portal holds them after it. */
  adoption: AdoptionReport;
  durationMs: number;
}

/** Share of the demo's companies the portal already holds when the demo starts (issue 13). */
export const DEMO_CRM_SEED_SHARE = 0.15;

export async function runDemo(opts: { seed?: number; logger: Logger; keepDir?: boolean; crmSeedShare?: number }): Promise<DemoReport> {
  const started = Date.now();
  const ds = generate(scales.small, opts.seed ?? 1);
  const dir = await mkdtemp(join(tmpdir(), 'crm-unify-demo-'));
  const paths = await writeDataset(ds, dir);
  // A live portal is not empty: part of the companies and their people are already there, typed by managers.
  const crmSeed = crmSeedFrom(ds, { share: opts.crmSeedShare ?? DEMO_CRM_SEED_SHARE, seed: opts.seed ?? 1 });
  // Rates above the real defaults keep the demo short; the bucket and the register latency still apply.
  const sandbox = await startSandbox({ registry: ds.registry, rate: 20, burst: 50, egrulLatencyMs: 100, egrulRateLimit: 200, crmSeed: crmSeed.seed });
  const seedSnapshot = snapshotSeed(sandbox.portal.store, sandbox.crmSeed as CrmSeedResult, crmSeed.roles);
  const store = await openLevelStore(join(dir, 'state'));
  try {
    const deps = buildPipelineDeps({
      store,
      crm: parseConfig(Bitrix24ConfigSchema, { webhookUrl: sandbox.webhookUrl, rate: 20, burst: 50, concurrency: 4 }),
      registry: parseConfig(EgrulConfigSchema, { url: sandbox.egrulUrl, token: sandbox.egrulToken, rate: 150, concurrency: 16 }),
      metrics: createMetrics(undefined, { defaultMetrics: false }),
      logger: opts.logger,
      maxInFlight: 500,
      load: { windowMs: 100, maxRecords: 300 },
    });
    await runPipeline(deps, demoTopologies(ds, paths.shopBDump, new StatePositionStore(store)), { stop: new AbortController().signal, once: true });
    const counts = sandbox.portal.store.counts();
    return {
      summary: deps.summary.toJSON(),
      crm: { companies: counts.company, requisites: counts.requisite, bankDetails: counts.bankdetail, contacts: counts.contact },
      expected: { companies: ds.truth.counts.expectedCompanies!, contacts: ds.truth.counts.expectedContacts! },
      input: ds.truth.counts,
      registerRequests: sandbox.egrul.counters.requests,
      crmRequests: sandbox.portal.counters.requests,
      crm503: sandbox.portal.counters.queryLimitExceeded,
      dedup: await evaluateDedup(store, ds.truth),
      adoption: adoptionReport(seedSnapshot, sandbox.portal.store),
      durationMs: Date.now() - started,
    };
  } finally {
    await store.close();
    await sandbox.stop();
    if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
  }
}
