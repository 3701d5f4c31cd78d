import { Bitrix24Client, type Bitrix24ClientDeps } from '../connectors/bitrix24/rest-client.js';
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
import { CrmDelivery, type DeliveryOutcome } from '../delivery/crm-delivery.js';
import { DeliveryLedger } from '../delivery/ledger.js';
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
  load?: { windowMs: number; maxRecords: number; settleMs?: number };
  /** Another CRM client (`crm-unify plan`: a dry run's); the real one by default. */
  crmClient?: (crm: Bitrix24Config, deps: Bitrix24ClientDeps) => Bitrix24Client;
  /** Sees what every delivery did (`crm-unify plan` collects adoptions, conflicts and twins). */
  onDelivered?: (outcomes: readonly DeliveryOutcome[]) => void;
  /** HA: asked before every CRM request goes out; throws INSTANCE_FENCED once this instance must stop writing. */
  crmFence?: () => void;
}

/** Wires the shared chain's parts once per process: one resolver, verifier and loader for all topologies. */
export function buildPipelineDeps(o: BuildOptions): PipelineDeps {
  const maxInFlight = o.maxInFlight ?? 2000;
  const resolver = new Resolver(o.store);
  const verifier = new EgrulVerifier(o.registry, {
    client: new DadataClient(o.registry, { metrics: o.metrics }),
    cache: new StateRegistryCache(o.store),
    metrics: o.metrics,
    logger: o.logger,
  });
  const client = (o.crmClient ?? ((crm, deps) => new Bitrix24Client(crm, deps)))(o.crm, {
    metrics: o.metrics,
    logger: o.logger,
    ...(o.crmFence ? { beforeRequest: o.crmFence } : {}),
  });
  const ledger = new DeliveryLedger(o.store, resolver);
  const loader = new Bitrix24Loader(client, o.crm, { logger: o.logger, onCreateAttempt: ledger.attempted });
  const delivery = new CrmDelivery(o.store, ledger, loader, {
    logger: o.logger,
    ...(o.onDelivered ? { onDelivered: o.onDelivered } : {}),
  });
  return {
    store: o.store,
    resolver,
    verifier,
    loader,
    crmClient: client,
    delivery,
    rejects: new StateRejectSink(o.store, o.metrics),
    metrics: o.metrics,
    health: o.health ?? new Health(),
    logger: o.logger,
    summary: new RunSummary(),
    maxInFlight,
    verifyConcurrency: Math.max(1, o.registry.concurrency * 2),
    resolveConcurrency: maxInFlight,
    // Records held for settling keep a quarter of the source's credit free, so reading never stalls on them.
    load: {
      ...(o.load ?? { windowMs: 250, maxRecords: 500 }),
      settleMs: o.load?.settleMs ?? o.crm.settleMs,
      maxHeld: Math.max(1, Math.floor(maxInFlight * 0.75)),
    },
  };
}
