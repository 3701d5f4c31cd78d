import type { Kafka } from 'kafkajs';
import { haBrokers } from '../config/schema.js';
import { createKafkaClient } from '../connectors/kafka/client.js';
import { ConfigError, CrmUnifyError, errorMessage } from '../core/errors.js';
import { withRetry } from '../core/retry.js';
import { setRole, createMetrics, type Metrics } from '../metrics/metrics.js';
import type { Health } from '../metrics/health.js';
import { startMetricsServer } from '../metrics/server.js';
import { RunSummary, type RunSummaryJson } from '../pipeline/summary.js';
import { runService, serviceHealth, type ServiceOptions } from '../runtime/service.js';
import { checkNames } from '../runtime/topologies.js';
import { openLevelStore, type LevelStateStore } from '../state/level-store.js';
import type { StateStore } from '../state/store.js';
import { ChangelogFollower } from './changelog-follower.js';
import { appliedOffset } from './changelog-offset.js';
import { holdsState } from './changelog-seed.js';
import { changelogEnd, ensureChangelogTopic } from './changelog-topic.js';
import { takeOverChangelog } from './changelog-open.js';
import type { ChangelogWriter } from './changelog-writer.js';
import { haNames } from './config.js';
import { Lease } from './lease.js';
import { FenceAwareStore } from './role-store.js';

export interface HaRunOptions extends ServiceOptions {
  /**
   * The instance was fenced (the lease lost, heartbeats lapsed, or a newer writer took the
   * changelog): it must stop at once, touching nothing, and exit non-zero. The command exits
   * the process here; the returned promise may never settle after it.
   */
  onFenced: (err: CrmUnifyError) => void;
}

/** The /healthz component that names the role (`running`, detail `standby` or `active`). */
export const HA_COMPONENT = 'ha';

/**
 * `crm-unify run` with `ha.enabled`: join the lease; while another instance holds it, follow the
 * state changelog into this instance's LevelDB (the standby); once the lease is ours, take over —
 * open the changelog writer (which fences the previous active instance's writes), catch up to
 * the changelog's end, then run the topologies as `runService` does, on a store that writes to
 * the changelog first and a CRM client that asks the lease's fence before every request. The
 * service delivers what the state left pending first: companies with an unsettled create are
 * looked up by ORIGIN_ID before anything is created (the ledger's `createAttempted`).
 */
export async function runHighlyAvailable(o: HaRunOptions): Promise<RunSummaryJson> {
  checkNames(o.topologies, o.names);
  const { ha } = o.config;
  const names = haNames(ha.app);
  const brokers = haBrokers(o.config);
  if (brokers.length === 0)
    throw new ConfigError(['HA needs Kafka brokers: set ha.brokers (or sources.shopB.kafka.brokers)']);
  const metrics = createMetrics();
  const health = serviceHealth(o.config, metrics);
  const level = await openLevelStore(o.config.state.dir);
  let server: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  let lease: Lease | undefined;
  let unwatch = () => {};
  let writer: ChangelogWriter | undefined;
  let store: StateStore = level;
  try {
    server = await startMetricsServer({
      registry: metrics.registry,
      health,
      port: o.config.metrics.port,
      host: o.config.metrics.host,
    });
    health.set(HA_COMPONENT, 'connecting'); // no role until the lease group is joined
    const kafka = createKafkaClient(brokers, `crm-unify-ha-${ha.app}`, o.logger);
    lease = await untilReached(o, async () => {
      await ensureTopic(kafka, names.changelogTopic);
      return Lease.join({
        kafka,
        topic: names.leaseTopic,
        groupId: names.leaseGroup,
        sessionTimeoutMs: ha.sessionTimeoutMs,
        heartbeatIntervalMs: ha.heartbeatIntervalMs,
        fenceMarginMs: ha.fenceMarginMs,
        logger: o.logger,
      });
    });
    if (!lease) return new RunSummary().toJSON(); // stopped before Kafka answered
    showRole(metrics, health, 'standby');
    const fence = lease.fence;
    unwatch = fence.onTrip((err) => o.onFenced(err));
    o.logger.info({ app: ha.app, metrics: server.url }, 'HA: joined the lease group');

    if (!(await standBy(level, lease, kafka, names.changelogTopic, metrics, o))) {
      o.logger.info('HA: stopped while standby');
      return new RunSummary().toJSON();
    }

    const acquiredAt = lease.acquiredAt ?? performance.now();
    o.logger.info('HA takeover: fencing the previous writer and catching up the changelog');
    // Seeds a state written before HA was on, fences the old writer, catches up (changelog-open.ts).
    const taken = await takeOverChangelog(level, {
      kafka,
      topic: names.changelogTopic,
      transactionalId: names.transactionalId,
    });
    writer = taken.writer;
    const { caughtUp, seeded } = taken;
    store = new FenceAwareStore(
      taken.store,
      (err) => fence.trip(`a newer instance took the state changelog over (${errorMessage(err)})`),
      isFencedError,
    );
    metrics.changelogLag.set(0);
    metrics.takeovers.inc();
    showRole(metrics, health, 'active');
    o.logger.info(
      { caughtUpMessages: caughtUp.messages, seeded },
      'HA takeover: state caught up; settling open CRM intents',
    );
    return await runService({
      ...o,
      hosted: {
        store,
        metrics,
        health,
        metricsUrl: server.url,
        crmFence: () => fence.assertActive(),
        onSourcesStarting: () => {
          const takeoverMs = Math.round(performance.now() - acquiredAt);
          metrics.takeoverSeconds.set(takeoverMs / 1000);
          o.logger.info({ takeoverMs }, 'HA takeover complete: sources resumed');
        },
      },
    });
  } catch (err) {
    // The fence's watcher reports it (once, whichever way it tripped first).
    if (isFencedError(err)) lease?.fence.trip(errorMessage(err));
    throw err;
  } finally {
    unwatch(); // a clean stop leaves the lease: not a fencing
    // The last state writes land before the lease goes: the next writer would fence them.
    await store.close().catch(() => undefined);
    await writer?.close().catch(() => undefined);
    // Leaving hands the lease to the standby at once (no session timeout to wait).
    await lease?.leave();
    await server?.close();
  }
}

/** Follows the changelog until the lease is ours (true) or the run is stopped (false). */
async function standBy(
  level: LevelStateStore,
  lease: Lease,
  kafka: Kafka,
  topic: string,
  metrics: Metrics,
  o: HaRunOptions,
): Promise<boolean> {
  await refuseForeignState(level, kafka, topic);
  const failed = new AbortController();
  let failure: unknown;
  const follower = new ChangelogFollower(level, {
    kafka,
    topic,
    onError: (err) => {
      failure = err;
      failed.abort();
    },
  });
  await follower.start();
  const lag = setInterval(() => metrics.changelogLag.set(follower.lagMessages()), 1_000);
  lag.unref();
  try {
    const acquired = await lease.whenAcquired(AbortSignal.any([o.stop, failed.signal]));
    if (failure !== undefined) throw failure;
    return acquired;
  } finally {
    clearInterval(lag);
    await follower.stop();
  }
}

/**
 * A state this instance held alone (no changelog offset) must not be followed into from a
 * changelog that holds another one: they would mix. (An empty changelog is fine: this state is
 * seeded into it if this instance becomes the active one.)
 */
async function refuseForeignState(level: LevelStateStore, kafka: Kafka, topic: string): Promise<void> {
  if ((await appliedOffset(level, topic)) !== null || !(await holdsState(level))) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await changelogEnd(admin, topic)) === 0n) return;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  throw new CrmUnifyError(
    'CHANGELOG_FAILED',
    `the state directory holds state that ${topic} does not (no changelog offset), and the changelog is not ` +
      'empty: restore the directory from it (crm-unify state restore --force), or name a new ha.app',
    { details: { topic } },
  );
}

/**
 * Kafka unreachable at start: a continuous run keeps trying with back-off, as its sources would
 * (a --once run gives up after a few tries); a stop while waiting returns undefined.
 */
async function untilReached<T>(o: HaRunOptions, connect: () => Promise<T>): Promise<T | undefined> {
  try {
    return await withRetry(connect, {
      retries: o.once ? 5 : Number.POSITIVE_INFINITY,
      baseMs: 500,
      maxMs: 10_000,
      signal: o.stop,
      onRetry: (err, attempt, waitMs) =>
        o.logger.warn({ attempt, waitMs, err: errorMessage(err) }, 'HA: cannot reach Kafka for the lease, retrying'),
    });
  } catch (err) {
    if (o.stop.aborted) return undefined;
    throw err;
  }
}

async function ensureTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureChangelogTopic(admin, topic);
  } catch (err) {
    if (err instanceof CrmUnifyError) throw err;
    throw new CrmUnifyError('SERVICE_UNAVAILABLE', `cannot reach Kafka for the state changelog: ${errorMessage(err)}`, {
      cause: err,
      retriable: true,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function showRole(metrics: Metrics, health: Health, role: 'active' | 'standby'): void {
  setRole(metrics, role);
  health.set(HA_COMPONENT, 'running', role);
}

/** INSTANCE_FENCED anywhere in the cause chain (a store write under a topology failure, say). */
export function isFencedError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 8) return false;
  if (err instanceof CrmUnifyError && err.code === 'INSTANCE_FENCED') return true;
  const e = err as { cause?: unknown; errors?: unknown };
  return (
    isFencedError(e.cause, depth + 1) ||
    (Array.isArray(e.errors) && e.errors.some((x: unknown) => isFencedError(x, depth + 1)))
  );
}
