import type { Bitrix24Config } from '../connectors/bitrix24/config.js';
import type { Bitrix24Client } from '../connectors/bitrix24/rest-client.js';
import type { EgrulConfig } from '../connectors/egrul/config.js';
import type { Logger } from '../core/logger.js';
import type { CrmDelivery } from '../delivery/crm-delivery.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Resolver } from '../resolve/resolver.js';
import type { StateStore } from '../state/store.js';
import { foundLoader } from './load-found.js';
import { pacedRechecker, sweepBucket } from './paced.js';
import { RegisterRefresh, type Rechecker } from './refresh.js';
import { StatusField } from './status-field.js';
import { RegisterSweep } from './sweep.js';

export interface ServiceSweepOptions {
  store: StateStore;
  /** The pipeline's verifier and CRM client: the sweep shares their rate limits, never adds its own budget. */
  verifier: Rechecker;
  client: Bitrix24Client;
  /** The pipeline's resolver and delivery: a company found after its reject is loaded through them. */
  resolver: Pick<Resolver, 'resolve'>;
  delivery: Pick<CrmDelivery, 'deliver'>;
  registry: EgrulConfig;
  crm: Bitrix24Config;
  metrics?: Metrics;
  logger?: Logger;
  /** `--once` and `crm-unify plan` runs end when their sources are drained: no sweep holds them open. */
  once: boolean;
  dryRun?: boolean;
}

/**
 * Starts the register sweep of a continuous service run (`registry.sweep.enabled`), or nothing.
 * The returned promise settles once `stop` is aborted and the current batch is stored; the caller
 * awaits it before closing the verifier and the state store.
 */
export function startRegisterSweep(o: ServiceSweepOptions, stop: AbortSignal): Promise<void> | undefined {
  if (o.once || o.dryRun || !o.registry.sweep.enabled) return undefined;
  const refresh = new RegisterRefresh({
    store: o.store,
    verifier: pacedRechecker(o.verifier, sweepBucket(o.registry.rate, o.registry.sweep.share)),
    client: o.client,
    field: new StatusField(o.client, o.crm.registerStatusField),
    batchSize: o.crm.batchSize,
    retry: { baseMs: o.crm.retryBaseMs, maxMs: o.crm.retryMaxMs },
    correct: true,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const sweep = new RegisterSweep({
    store: o.store,
    refresh,
    config: o.registry,
    load: foundLoader(o.resolver, o.delivery),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  });
  o.logger?.info({ share: o.registry.sweep.share, ttlDays: o.registry.cacheTtlDays }, 'register sweep started');
  return sweep.run(stop);
}
