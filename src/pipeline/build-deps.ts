import { Bitrix24Client } from '../connectors/bitrix24/rest-client.js';
import type { Bitrix24Config } from '../connectors/bitrix24/config.js';
import { Bitrix24Loader } from '../connectors/bitrix24/loader.js';
import type { EgrulConfig } from '../connectors/egrul/config.js';
import { DadataClient } from '../connectors/egrul/dadata-client.js';
import { EgrulVerifier } from '../connectors/egrul/verifier.js';
import type { Logger } from '../core/logger.js';
import { Health } from '../metrics/health.js';
import type { Metrics } from '../metrics/metrics.js';
import { Resolver } from '../resolve/resolver.js';
import type { StateStore } from '../state/store.js';
import { CrmDelivery } from './crm-delivery.js';
import type { PipelineDeps } from './pipeline.js';
import { StateRegistryCache } from './state-registry-cache.js';
import { StateRejectSink } from './state-rejects.js';
import { RunSummary } from './summary.js';

export interface BuildOptions {
  store: StateStore;
  crm: Bitrix24Config;
  registry: EgrulConfig;
  metrics: Metrics;
  logger: Logger;
  health?: Health;
  maxInFlight?: number;
  load?: { windowMs: number; maxRecords: number };
}

/** Wires the shared chain's parts once per process: one resolver, verifier and loader for all topologies. */
export function buildPipelineDeps(o: BuildOptions): PipelineDeps {
  const resolver = new Resolver(o.store);
  const verifier = new EgrulVerifier(o.registry, {
    client: new DadataClient(o.registry, { metrics: o.metrics }),
    cache: new StateRegistryCache(o.store),
    metrics: o.metrics,
    logger: o.logger,
  });
  const client = new Bitrix24Client(o.crm, { metrics: o.metrics, logger: o.logger });
  // The loader needs the delivery's create-attempt hook; the delivery needs the loader.
  const hook: { delivery?: CrmDelivery } = {};
  const loader = new Bitrix24Loader(client, o.crm, { logger: o.logger, onCreateAttempt: (ids) => hook.delivery!.onCreateAttempt(ids) });
  const delivery = (hook.delivery = new CrmDelivery(o.store, resolver, loader, client, { logger: o.logger }));
  return {
    store: o.store, resolver, verifier, loader, delivery,
    rejects: new StateRejectSink(o.store, o.metrics),
    metrics: o.metrics, health: o.health ?? new Health(), logger: o.logger, summary: new RunSummary(),
    maxInFlight: o.maxInFlight ?? 2000,
    verifyConcurrency: Math.max(1, o.registry.concurrency * 2),
    load: o.load ?? { windowMs: 250, maxRecords: 500 },
  };
}
