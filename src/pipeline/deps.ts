import type { Bitrix24Loader } from '../connectors/bitrix24/loader.js';
import type { Bitrix24Client } from '../connectors/bitrix24/rest-client.js';
import type { EgrulVerifier } from '../connectors/egrul/verifier.js';
import type { Logger } from '../core/logger.js';
import type { Health } from '../metrics/health.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Resolver } from '../resolve/resolver.js';
import type { StateStore } from '../state/store.js';
import type { CrmDelivery } from '../delivery/crm-delivery.js';
import type { RejectSink } from '../core/rejects.js';
import type { RunSummary } from './summary.js';

/** Everything the shared stages run on; built once per process (one state store writer). */
export interface PipelineDeps {
  store: StateStore;
  resolver: Resolver;
  verifier: EgrulVerifier;
  loader: Bitrix24Loader;
  /** The loader's CRM client: other writers of the process (the register sweep) share its rate. */
  crmClient: Bitrix24Client;
  delivery: CrmDelivery;
  rejects: RejectSink;
  metrics: Metrics;
  health: Health;
  logger: Logger;
  summary: RunSummary;
  maxInFlight: number;
  verifyConcurrency: number;
  /**
   * Changes resolving at once. The resolver serialises them itself (each runs synchronously on
   * its cache) and writes them in group commits: every change waiting on a commit must be one that
   * is in flight, or the event loop idles while LevelDB writes. So: the source's whole credit.
   */
  resolveConcurrency: number;
  load: { windowMs: number; maxRecords: number; settleMs?: number; maxHeld?: number };
}
