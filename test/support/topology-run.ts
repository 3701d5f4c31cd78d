import { Bitrix24ConfigSchema } from '../../src/connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../../src/connectors/egrul/config.js';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import type { PositionStore } from '../../src/core/positions.js';
import type { Dataset } from '../../src/gen/dataset.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { buildPipelineDeps } from '../../src/pipeline/build-deps.js';
import type { PipelineDeps } from '../../src/pipeline/pipeline.js';
import { StatePositionStore } from '../../src/pipeline/state-positions.js';
import type { Topology } from '../../src/pipeline/topology.js';
import { runPipeline } from '../../src/runtime/run-pipeline.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { MemoryStateStore } from '../../src/state/memory-store.js';

/**
 * Runs topologies to completion (`--once`) over a fresh in-memory state against a fresh in-process
 * sandbox holding the data set's register; the caller stops the sandbox.
 */
export async function runOverSandbox(
  ds: Dataset,
  build: (positions: PositionStore) => Topology[],
): Promise<{ sandbox: Sandbox; deps: PipelineDeps }> {
  const sandbox = await startSandbox({
    registry: ds.registry,
    rate: 1000,
    burst: 1000,
    egrulLatencyMs: 1,
    egrulRateLimit: 1000,
  });
  const store = new MemoryStateStore();
  const deps = buildPipelineDeps({
    store,
    crm: parseConfig(Bitrix24ConfigSchema, { webhookUrl: sandbox.webhookUrl, rate: 1000, burst: 1000, settleMs: 0 }),
    registry: parseConfig(EgrulConfigSchema, {
      url: sandbox.egrulUrl,
      token: sandbox.egrulToken,
      rate: 1000,
      concurrency: 8,
    }),
    metrics: createMetrics(undefined, { defaultMetrics: false }),
    logger: silentLogger,
    load: { windowMs: 20, maxRecords: 300 },
  });
  try {
    await runPipeline(deps, build(new StatePositionStore(store)), { stop: new AbortController().signal, once: true });
  } finally {
    deps.verifier.close();
  }
  return { sandbox, deps };
}
