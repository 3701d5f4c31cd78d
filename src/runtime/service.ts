import { buildPipelineDeps, type BuildOptions } from '../pipeline/build-deps.js';
import type { AppConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { redactUrl } from '../core/secrets.js';
import { Health, isUp } from '../metrics/health.js';
import { createMetrics, setRole, type Metrics } from '../metrics/metrics.js';
import { startMetricsServer } from '../metrics/server.js';
import { StatePositionStore } from '../pipeline/state-positions.js';
import type { RunSummaryJson } from '../pipeline/summary.js';
import type { TopologyRegistry } from '../pipeline/topology.js';
import { openLevelStore } from '../state/level-store.js';
import type { StateStore } from '../state/store.js';
import { startRegisterSweep } from '../register/service-sweep.js';
import { reportProgress } from './progress.js';
import { runPipeline } from './run-pipeline.js';
import { buildTopologies, checkNames } from './topologies.js';
import { deliverPending } from './recovery.js';
import { serviceConnectPolicy } from './connect-policy.js';
import { watchShutdown } from './shutdown.js';
import { watchApis } from './api-health.js';
import { watchWedge } from './wedge.js';

export interface ServiceOptions {
  /** The topologies there are (handed in by the entry point), and the ones to run. */
  topologies: TopologyRegistry;
  names: string[];
  config: Readonly<AppConfig>;
  once: boolean;
  logger: Logger;
  /** Aborting it is a graceful shutdown: stop reading, drain, commit. */
  stop: AbortSignal;
  /** Called when a shutdown outlasts `runtime.shutdownTimeoutMs` (the command exits 1). */
  onShutdownTimeout?: () => void;
  /** `crm-unify plan`: the CRM through a dry-run client, every delivery observed, nothing written to a DLQ. */
  dryRun?: Pick<BuildOptions, 'crmClient' | 'onDelivered'>;
  /** HA (src/ha/role.ts): the active instance runs on what its role runner opened. */
  hosted?: HostedService;
}

/**
 * What the HA role runner opened before the takeover and keeps after the run: the state store
 * (writes go to the changelog first), the metrics and /healthz it has served since it started as
 * a standby, and the lease's fence, which the CRM client asks before every request.
 */
export interface HostedService {
  store: StateStore;
  metrics: Metrics;
  health: Health;
  metricsUrl: string;
  crmFence: () => void;
  /** The leftovers are delivered and the sources start: the takeover is complete. */
  onSourcesStarting?: () => void;
}

/** Zero-valued series so every dashboard query has data from the first scrape. */
function primeMetrics(m: Metrics, names: string[]): void {
  for (const api of ['egrul', 'bitrix24']) for (const kind of ['local', 'remote']) m.throttled.inc({ api, kind }, 0);
  for (const result of ['hit', 'miss', 'expired']) m.cache.inc({ cache: 'egrul', result }, 0);
  for (const topology of names) m.lastProgress.set({ topology }, Date.now() / 1000);
}

/** Golden records by entity: total and pending. Key-only counts, cheap enough to refresh often. */
async function updateStateGauges(store: StateStore, m: Metrics): Promise<void> {
  const [companies, contacts, pendingCompanies, pendingContacts] = await Promise.all([
    store.count('companies'),
    store.count('contacts'),
    store.count('pending', { prefix: 'company|' }),
    store.count('pending', { prefix: 'contact|' }),
  ]);
  m.entities.set({ entity: 'company', status: 'total' }, companies);
  m.entities.set({ entity: 'company', status: 'pending' }, pendingCompanies);
  m.entities.set({ entity: 'contact', status: 'total' }, contacts);
  m.entities.set({ entity: 'contact', status: 'pending' }, pendingContacts);
}

/** Records read and not yet settled, over every source (the in-flight gauge). */
async function inFlightRecords(m: Metrics): Promise<number> {
  return (await m.inFlight.get()).values.reduce((n, v) => n + v.value, 0);
}

/**
 * `crm-unify run`: one process, one state store (LevelDB has one writer), the named topologies
 * side by side — so stores de-duplicate across each other. Returns when the sources are drained
 * (`once`) or after a graceful stop.
 */
export async function runService(o: ServiceOptions): Promise<RunSummaryJson> {
  checkNames(o.topologies, o.names);
  const hosted = o.hosted;
  const store = hosted?.store ?? (await openLevelStore(o.config.state.dir));
  const metrics = hosted?.metrics ?? createMetrics();
  const health = hosted?.health ?? serviceHealth(o.config, metrics);
  // A topology that fails stops the others (they drain), so the process ends with its error.
  const failing = new AbortController();
  const stop = AbortSignal.any([o.stop, failing.signal]);
  const connect = serviceConnectPolicy(o.config.runtime, { once: o.once, logger: o.logger, health, stop });
  let server: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  try {
    const positions = new StatePositionStore(store);
    const built = buildTopologies(o.topologies, o.names, {
      config: o.config,
      positions,
      once: o.once,
      logger: o.logger,
      connect,
      dryRun: o.dryRun !== undefined,
    });
    if (!hosted)
      server = await startMetricsServer({
        registry: metrics.registry,
        health,
        port: o.config.metrics.port,
        host: o.config.metrics.host,
      });
    const deps = buildPipelineDeps({
      store,
      crm: o.config.crm,
      registry: o.config.registry,
      metrics,
      logger: o.logger,
      health,
      maxInFlight: o.config.runtime.maxInFlight,
      load: { windowMs: o.config.runtime.loadWindowMs, maxRecords: o.config.runtime.loadMaxRecords },
      ...(hosted ? { crmFence: hosted.crmFence } : {}),
      ...o.dryRun,
    });
    primeMetrics(metrics, o.names);
    // Without HA the one instance is the active one (the role runner sets it otherwise).
    if (!hosted) setRole(metrics, 'active');
    o.logger.info(
      {
        topologies: o.names,
        crm: redactUrl(o.config.crm.webhookUrl),
        metrics: hosted?.metricsUrl ?? server?.url,
        once: o.once,
      },
      'starting',
    );
    const stopApis = watchApis(
      metrics,
      [
        {
          api: 'bitrix24',
          component: 'sink:bitrix24',
          endpoint: redactUrl(o.config.crm.webhookUrl),
          setBy: 'crm.webhookUrl (or BITRIX24_WEBHOOK_URL)',
          answers: new Set(['503']),
        },
        { api: 'egrul', component: 'registry:egrul', endpoint: o.config.registry.url, setBy: 'registry.url' },
      ],
      connect,
    );
    const stopWedge = watchWedge({ metrics, health, afterMs: o.config.runtime.wedgedAfterMs });
    // Counting walks keys: often enough for a dashboard, rarely enough to cost little.
    const gauges = setInterval(() => void updateStateGauges(store, metrics).catch(() => {}), 15_000);
    gauges.unref();
    const stopProgress = reportProgress(deps.summary, o.logger);
    const stopWatch = watchShutdown({
      stop: o.stop,
      timeoutMs: o.config.runtime.shutdownTimeoutMs,
      logger: o.logger,
      inFlight: () => inFlightRecords(metrics),
      onTimeout: o.onShutdownTimeout,
    });
    let sweeping: Promise<void> | undefined;
    // The sweep ends with the topologies, whether stopped or (a finite source in a continuous run) drained.
    const sweepDone = new AbortController();
    try {
      const recovered = await deliverPending(store, deps.delivery);
      if (recovered) o.logger.info({ companies: recovered }, 'delivered golden records a previous run left pending');
      await updateStateGauges(store, metrics);
      // Continuous runs only: a --once run ends when its sources are drained, never held open by the sweep.
      sweeping = startRegisterSweep(
        {
          store,
          verifier: deps.verifier,
          client: deps.crmClient,
          resolver: deps.resolver,
          delivery: deps.delivery,
          registry: o.config.registry,
          crm: o.config.crm,
          metrics,
          logger: o.logger,
          once: o.once,
          dryRun: o.dryRun !== undefined,
        },
        AbortSignal.any([stop, sweepDone.signal]),
      );
      hosted?.onSourcesStarting?.();
      await runPipeline(deps, built, {
        stop: o.stop,
        once: o.once,
        failing,
        // SIGTERM: the sweep stores its current batch before the verifier and the store close
        onDrained: async () => {
          sweepDone.abort();
          await sweeping;
        },
      });
      await updateStateGauges(store, metrics);
    } finally {
      stopProgress();
      stopWatch();
      stopApis();
      stopWedge();
      clearInterval(gauges);
      sweepDone.abort();
      deps.verifier.close();
      // a failed topology left the sweep mid-batch: its look-ups end with the verifier, then it returns
      await sweeping;
    }
    const summary = deps.summary.toJSON();
    o.logger.info({ summary }, o.stop.aborted ? 'stopped' : 'done');
    return summary;
  } finally {
    await server?.close();
    if (!hosted) await store.close();
  }
}

/** /healthz state of the components, mirrored in the component_up gauge. */
export function serviceHealth(config: Readonly<AppConfig>, metrics: Metrics): Health {
  return new Health({
    graceMs: config.runtime.readyGraceMs,
    onChange: (component, state) => metrics.componentUp.set({ component }, isUp(state) ? 1 : 0),
  });
}
