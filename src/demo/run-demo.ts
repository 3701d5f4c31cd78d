import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../connectors/egrul/config.js';
import { parseConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { PositionStore } from '../core/positions.js';
import { adoptionReport, snapshotSeed, type AdoptionReport } from '../gen/adoption-report.js';
import { crmSeedFrom } from '../gen/crm-seed.js';
import { generate, scales, type Dataset } from '../gen/dataset.js';
import { evaluateDedup, type DedupScore } from '../gen/evaluate.js';
import { writeDataset } from '../gen/write.js';
import { createMetrics } from '../metrics/metrics.js';
import { buildPipelineDeps } from '../pipeline/build-deps.js';
import { StatePositionStore } from '../pipeline/state-positions.js';
import type { RunSummaryJson } from '../pipeline/summary.js';
import type { Topology } from '../pipeline/topology.js';
import { runPipeline } from '../runtime/run-pipeline.js';
import { startSandbox, type CrmSeedResult } from '../sandbox/sandbox.js';
import { openLevelStore } from '../state/level-store.js';

/**
 * The demo's topologies over a generated data set (topologies/demo.ts): handed in by the entry
 * point like the registry of `run`, since src/ never imports topologies/.
 */
export type DemoTopologies = (ds: Dataset, dumpPath: string, positions: PositionStore) => Topology[];

export interface DemoReport {
  summary: RunSummaryJson;
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

/**
 * `crm-unify demo`: sample data of both stores with realistic dirt, an in-process sandbox (portal
 * + register, the portal already part-filled by people), the demo topologies run to completion on
 * a fresh state dir, and the result scored against the data's ground truth.
 */
export async function runDemo(opts: {
  topologies: DemoTopologies;
  seed?: number;
  logger: Logger;
  keepDir?: boolean;
  crmSeedShare?: number;
}): Promise<DemoReport> {
  const started = Date.now();
  const ds = generate(scales.small, opts.seed ?? 1);
  const dir = await mkdtemp(join(tmpdir(), 'crm-unify-demo-'));
  const paths = await writeDataset(ds, dir);
  // A live portal is not empty: part of the companies and their people are already there, typed by managers.
  const crmSeed = crmSeedFrom(ds, { share: opts.crmSeedShare ?? DEMO_CRM_SEED_SHARE, seed: opts.seed ?? 1 });
  // Rates above the real defaults keep the demo short; the bucket and the register latency still apply.
  const sandbox = await startSandbox({
    registry: ds.registry,
    rate: 20,
    burst: 50,
    egrulLatencyMs: 100,
    egrulRateLimit: 200,
    crmSeed: crmSeed.seed,
  });
  const seedSnapshot = snapshotSeed(sandbox.portal.store, sandbox.crmSeed as CrmSeedResult, crmSeed.roles);
  const store = await openLevelStore(join(dir, 'state'));
  try {
    const deps = buildPipelineDeps({
      store,
      crm: parseConfig(Bitrix24ConfigSchema, { webhookUrl: sandbox.webhookUrl, rate: 20, burst: 50, concurrency: 4 }),
      registry: parseConfig(EgrulConfigSchema, {
        url: sandbox.egrulUrl,
        token: sandbox.egrulToken,
        rate: 150,
        concurrency: 16,
      }),
      metrics: createMetrics(undefined, { defaultMetrics: false }),
      logger: opts.logger,
      maxInFlight: 500,
      load: { windowMs: 100, maxRecords: 300 },
    });
    await runPipeline(deps, opts.topologies(ds, paths.shopBDump, new StatePositionStore(store)), {
      stop: new AbortController().signal,
      once: true,
    });
    const counts = sandbox.portal.store.counts();
    return {
      summary: deps.summary.toJSON(),
      crm: {
        companies: counts.company,
        requisites: counts.requisite,
        bankDetails: counts.bankdetail,
        contacts: counts.contact,
      },
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
