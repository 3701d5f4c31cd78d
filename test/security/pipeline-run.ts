// The whole chain wired by hand (like `runDemo`), so the secrets, the logger and the metrics
// registry are ours to inspect: a sandbox portal and register with random secrets, config parsed
// the way the service parses it (which registers the secrets for scrubbing), a pino logger at
// debug writing into memory, both stores' data (Shop A rows and Shop B events from memory, the
// real windows-1251 dump through JsonDumpSource).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../src/config/load.js';
import type { AppConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/logger.js';
import { generate, scales, type Dataset, type Scale } from '../../src/gen/dataset.js';
import { writeDataset } from '../../src/gen/write.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { buildPipelineDeps } from '../../src/pipeline/build-deps.js';
import { StatePositionStore } from '../../src/pipeline/state-positions.js';
import { runPipeline as runTopologies } from '../../src/runtime/run-pipeline.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { listRejects } from '../../src/state/helpers.js';
import { MemoryStateStore } from '../../src/state/memory-store.js';
import type { Reject } from '../../src/model/reject-reasons.js';
import { demoTopologies } from '../../topologies/demo.js';

export interface Secrets {
  webhookSecret: string;
  egrulToken: string;
}

export function randomSecrets(): Secrets {
  return { webhookSecret: `wh${randomBytes(12).toString('hex')}`, egrulToken: `tok${randomBytes(16).toString('hex')}` };
}

export interface PipelineRun {
  ds: Dataset;
  config: Readonly<AppConfig>;
  sandbox: Sandbox;
  logs: string[];
  metrics: Metrics;
  rejects: Reject[];
  summary: unknown;
  /** What runPipeline threw, if anything. */
  errors: unknown[];
  stop(): Promise<void>;
}

/** A scale of the generator's small one, multiplied (2 → twice the companies). */
export function scaled(factor: number): Scale {
  const s = scales.small;
  return {
    ...s,
    shopACompanies: Math.round(25 * factor),
    shopBCompanies: Math.round(40 * factor),
    overlap: Math.round(8 * factor),
  };
}

/**
 * Runs both stores through the whole chain once against a fresh sandbox. `poison` adds Shop B
 * events and Shop A rows that quote the secrets, so reject details that echo input are tested too.
 */
export async function runPipeline(opts: {
  secrets: Secrets;
  scale: Scale;
  seed?: number;
  faults?: string;
  poison?: boolean;
  batchSize?: number;
}): Promise<PipelineRun> {
  const { secrets } = opts;
  const ds = generate(opts.scale, opts.seed ?? 5);
  if (opts.poison) {
    const { webhookSecret: w, egrulToken: t } = secrets;
    ds.shopB.events.push(
      { key: 'poison-1', value: `not json ${w} ${t}` },
      {
        key: 'poison-2',
        value: JSON.stringify({ eventId: t, type: 'PARTNER_UPSERT', occurredAt: w, partner: { partnerId: w } }),
      },
      {
        key: 'poison-3',
        value: JSON.stringify({
          eventId: 'e',
          type: 'PARTNER_UPSERT',
          occurredAt: '2024-01-01T00:00:00Z',
          partner: {
            partnerId: `p-${t}`,
            kind: 'ORG',
            name: w,
            taxNumbers: [{ type: 'INN', value: t }],
            changedAt: '2024-01-01T00:00:00Z',
          },
        }),
      },
    );
    const row = ds.shopA.companies[0]!;
    ds.shopA.companies.push({ ...row, id: 999_999, inn: w, name: t }, { ...row, id: 999_998, status: w as never });
  }
  const dir = await mkdtemp(join(tmpdir(), 'crm-unify-security-'));
  const paths = await writeDataset(ds, dir);
  const sandbox = await startSandbox({
    registry: ds.registry,
    rate: 100,
    burst: 50,
    egrulLatencyMs: 5,
    egrulRateLimit: 1000,
    webhookSecret: secrets.webhookSecret,
    egrulToken: secrets.egrulToken,
    ...(opts.faults ? { faults: opts.faults, faultSeed: 11 } : {}),
  });
  const logs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  });
  // Parsed as the service parses its config file: this registers the secrets for scrubbing.
  const config = resolveConfig(
    {
      crm: {
        webhookUrl: sandbox.webhookUrl,
        rate: 100,
        burst: 50,
        concurrency: 4,
        retryBaseMs: 20,
        retryMaxMs: 200,
        batchSize: opts.batchSize ?? 50,
      },
      registry: {
        url: sandbox.egrulUrl,
        token: secrets.egrulToken,
        rate: 500,
        concurrency: 16,
        retryBaseMs: 20,
        retryMaxMs: 200,
      },
    },
    {},
  );
  // What an operator's debug session might do: the parsed config, whole, into the log.
  logger.debug({ config }, 'config loaded');
  const metrics = createMetrics(undefined, { defaultMetrics: false });
  const store = new MemoryStateStore();
  const deps = buildPipelineDeps({
    store,
    crm: config.crm,
    registry: config.registry,
    metrics,
    logger,
    maxInFlight: 200,
    load: { windowMs: 50, maxRecords: 200 },
  });
  const errors: unknown[] = [];
  await runTopologies(deps, demoTopologies(ds, paths.shopBDump, new StatePositionStore(store)), {
    stop: new AbortController().signal,
    once: true,
  }).catch((err: unknown) => {
    errors.push(err);
    logger.error({ err }, 'pipeline failed');
  });
  const rejects: Reject[] = [];
  for await (const r of listRejects(store)) rejects.push(r);
  // Let pino's async destination flush what it holds.
  await new Promise((r) => setTimeout(r, 100));
  return {
    ds,
    config,
    sandbox,
    logs,
    metrics,
    rejects,
    summary: deps.summary.toJSON(),
    errors,
    stop: async () => {
      await sandbox.stop();
      await store.close?.();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
