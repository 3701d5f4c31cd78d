/**
 * PROTOTYPE (bench only, not used by the service): the load stage with delivery rounds that
 * overlap, to measure what src/pipeline/stages/load.stage.ts would gain. The shipped stage runs
 * its rounds one after another (`concatMap`), so the portal's bucket idles while a round waits
 * for its window, reads the state and marks records synced. Here up to `rounds` rounds run at
 * once (`mergeMap`); a golden company is never delivered by two rounds at the same time (a
 * per-INN lock: a round waits for the INNs another round has in flight, then delivers them
 * itself — the delivery re-reads the state, so it sees what the other round settled). Acks may
 * then come out of order, which the sources' ordered acks already allow.
 *
 * `runPhaseWith` is src/pipeline/pipeline.ts `runPhase` with only the load stage swapped, and
 * without the metrics hooks the benchmark does not read.
 */
import { bufferTime, concatMap, filter, lastValueFrom, mergeMap, tap, type OperatorFunction } from 'rxjs';
import type { Envelope } from '../../src/core/envelope.js';
import { fromPullSource } from '../../src/core/pull-source.js';
import type { RejectSink } from '../../src/core/rejects.js';
import type { StageHooks } from '../../src/core/stage.js';
import type { CrmDelivery, DeliveryOutcome } from '../../src/pipeline/crm-delivery.js';
import type { PipelineDeps, SourcePhase } from '../../src/pipeline/pipeline.js';
import { mapStage } from '../../src/pipeline/stages/map.stage.js';
import { resolveStage, type Resolved } from '../../src/pipeline/stages/resolve.stage.js';
import { verifyStage } from '../../src/pipeline/stages/verify.stage.js';
import type { Topology } from '../../src/pipeline/topology.js';
import type { StateStore } from '../../src/state/store.js';

/** One lock table per delivery (shared by every phase that delivers through it). */
const locks = new WeakMap<CrmDelivery, Map<string, Promise<unknown>>>();

async function deliverLocked(delivery: CrmDelivery, inns: string[]): Promise<DeliveryOutcome[]> {
  let table = locks.get(delivery);
  if (!table) locks.set(delivery, (table = new Map()));
  const busy = inns.map((i) => table.get(i)).filter((p): p is Promise<unknown> => p !== undefined);
  while (busy.length) {
    await Promise.allSettled(busy);
    busy.length = 0;
    for (const i of inns) { const p = table.get(i); if (p) busy.push(p); }
  }
  const run = delivery.deliver(inns);
  for (const i of inns) table.set(i, run);
  try {
    return await run;
  } finally {
    for (const i of inns) if (table.get(i) === run) table.delete(i);
  }
}

async function touchedInns(store: StateStore, batch: readonly Envelope<Resolved>[]): Promise<Set<string>> {
  const inns = new Set<string>();
  const contactIds: string[] = [];
  for (const env of batch) {
    for (const inn of env.value.result.companies) inns.add(inn);
    contactIds.push(...env.value.result.contacts);
  }
  for (const c of await store.getMany('contacts', contactIds)) if (c) inns.add(c.inn);
  return inns;
}

export function concurrentLoadStage(store: StateStore, delivery: CrmDelivery, rejects: RejectSink,
  opts: { windowMs: number; maxRecords: number; rounds: number }): OperatorFunction<Envelope<Resolved>, Envelope<Resolved>> {
  return (source) => source.pipe(
    bufferTime(opts.windowMs, null, opts.maxRecords),
    filter((batch) => batch.length > 0),
    mergeMap(async (batch) => {
      const inns = await touchedInns(store, batch);
      const outcomes = await deliverLocked(delivery, [...inns]);
      const refused = new Map(outcomes.filter((o) => o.status === 'rejected').map((o) => [o.inn, o.detail ?? 'refused by the CRM']));
      for (const env of batch) {
        const hit = env.value.result.companies.find((inn) => refused.has(inn));
        if (hit) await rejects.reject(env, 'CRM_REJECTED', `company ${hit}: ${refused.get(hit)}`);
        env.ack();
      }
      return batch;
    }, opts.rounds),
    concatMap((batch) => batch),
  );
}

export async function runPhaseWith<Raw>(phase: SourcePhase<Raw>, deps: PipelineDeps, rounds: number): Promise<void> {
  const opened = await phase.open();
  const hooks: StageHooks = { rejects: { reject: async (env, reason, detail, sourceId) => { await deps.rejects.reject(env, reason, detail, sourceId); deps.summary.countReject(reason); } } };
  try {
    await lastValueFrom(fromPullSource(opened.source, { maxInFlight: deps.maxInFlight }).pipe(
      mapStage(phase.mapper, hooks),
      verifyStage(deps.verifier, hooks, deps.verifyConcurrency),
      resolveStage(deps.resolver, hooks, deps.verifyConcurrency),
      concurrentLoadStage(deps.store, deps.delivery, hooks.rejects, { ...deps.load, rounds }),
      tap(() => undefined),
    ), { defaultValue: undefined });
  } finally {
    await opened.source.close();
    await opened.close?.();
  }
}

export async function runTopologyWith(t: Topology, deps: PipelineDeps, rounds: number): Promise<void> {
  for (const group of t.groups) await Promise.all(group.map((p) => runPhaseWith(p, deps, rounds)));
}
