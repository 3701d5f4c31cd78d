import type { PipelineDeps } from '../pipeline/pipeline.js';
import { runTopology, type Topology } from '../pipeline/topology.js';
import { rejectParkedContacts } from './parked.js';

export interface RunPipelineOptions {
  /** Aborting it is a graceful stop: no more reads, what is in flight settles. */
  stop: AbortSignal;
  /** The sources end when drained: contacts still parked then are rejected, so every record is accounted for. */
  once: boolean;
  /** Aborted when a topology fails (a new one by default): pass one to end waits outside the topologies with it. */
  failing?: AbortController;
  /** Runs once the topologies have ended, before the resolver's last writes (the service stops its register sweep here). */
  onDrained?: () => Promise<void>;
}

/**
 * The one way to run topologies over built deps: every topology side by side, one failing stops
 * the others (they drain), then the resolver's writes are flushed and, at the end of a `--once`
 * run, parked contacts are rejected. Throws the first real failure once all have settled; a wait
 * for a server that the stop ended (SHUTDOWN) is no failure.
 */
export async function runPipeline(
  deps: PipelineDeps,
  topologies: readonly Topology[],
  o: RunPipelineOptions,
): Promise<void> {
  const failing = o.failing ?? new AbortController();
  const stop = AbortSignal.any([o.stop, failing.signal]);
  const results = await Promise.allSettled(
    topologies.map((t) =>
      runTopology(t, deps, stop).catch((err: unknown) => {
        failing.abort();
        throw err;
      }),
    ),
  );
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const real = errors.filter((e) => (e as { code?: unknown } | null)?.code !== 'SHUTDOWN');
  if (real.length) throw real[0];
  if (errors.length && !o.stop.aborted) throw errors[0];
  await o.onDrained?.();
  await deps.resolver.flush();
  if (o.once && !o.stop.aborted) {
    const parked = await rejectParkedContacts(deps.store, deps.summary);
    if (parked) deps.logger.info({ contacts: parked }, 'contacts whose company never passed were rejected');
  }
}
