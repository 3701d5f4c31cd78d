import { lastValueFrom, tap } from 'rxjs';
import { fromPullSource, type PullSource } from '../core/pull-source.js';
import type { RejectSink } from '../core/rejects.js';
import type { StageHooks } from '../core/stage.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RejectReason } from '../model/index.js';
import type { PipelineDeps } from './deps.js';
import { phaseStages, type Chain } from './stage-kit.js';

export type { PipelineDeps } from './deps.js';

/** One source of a topology with its chain: a phase of a topology's run. */
export interface SourcePhase<Raw> {
  /** Source name in metrics and rejects, e.g. `shop-a.companies`. */
  name: string;
  open(): Promise<OpenedSource<Raw>>;
  /** What the source's records go through, from the store's mapper to the CRM. */
  chain: Chain<Raw>;
}

export interface OpenedSource<Raw> {
  source: PullSource<Raw>;
  /** Wraps the rejects sink for this source (Kafka: copy to the DLQ topic first). */
  rejects?: (inner: RejectSink) => RejectSink;
  /** Reports source lag and progress to metrics; called now and then while the phase runs. */
  report?: (metrics: Metrics) => void;
  /** Releases what `open` acquired besides the source (a DLQ producer). */
  close?: () => Promise<void>;
}

/**
 * Runs one source through its phase's chain until it is drained (or `stop` is aborted and what
 * is in flight has settled), under the source's credit: the stages come bound to this phase's
 * metrics, rejects and summary. Rejects are written durably, counted, and acked where they happen.
 * `onResolved`: every record of the source has been resolved (its deliveries may still run).
 */
export async function runPhase<Raw>(
  topology: string,
  phase: SourcePhase<Raw>,
  deps: PipelineDeps,
  stop: AbortSignal,
  onResolved?: () => void,
): Promise<void> {
  const { metrics, summary } = deps;
  const opened = await phase.open();
  const { source } = opened;
  const sink = opened.rejects ? opened.rejects(deps.rejects) : deps.rejects;
  const counting: RejectSink = {
    reject: async (env, reason: RejectReason, detail, sourceId) => {
      await sink.reject(env, reason, detail, sourceId);
      summary.countReject(reason);
    },
  };
  const hooks: StageHooks = {
    rejects: counting,
    observe: (stage, outcome, seconds) => {
      metrics.records.inc({ topology, source: phase.name, stage, outcome });
      metrics.stageSeconds.observe({ topology, stage }, seconds);
    },
  };
  const records = fromPullSource(source, {
    maxInFlight: deps.maxInFlight,
    stop,
    onInFlight: (n) => metrics.inFlight.set({ topology, source: phase.name }, n),
  }).pipe(tap((env) => summary.countRead(env.source)));
  const stages = phaseStages({
    topology,
    source: phase.name,
    deps,
    hooks,
    rejects: counting,
    ...(onResolved ? { onResolved } : {}),
  });
  deps.health.set(`source:${phase.name}`, 'running');
  const reporter = opened.report && setInterval(() => opened.report!(metrics), 1000);
  opened.report?.(metrics);
  try {
    await lastValueFrom(phase.chain(records, stages), { defaultValue: undefined });
    deps.health.set(`source:${phase.name}`, stop.aborted ? 'draining' : 'done');
  } catch (err) {
    deps.health.set(`source:${phase.name}`, 'failed', err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    if (reporter) clearInterval(reporter);
    opened.report?.(metrics);
    await source.close();
    await opened.close?.();
  }
}
