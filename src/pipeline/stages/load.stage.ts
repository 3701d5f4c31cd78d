import { bufferTime, concatMap, filter, mergeMap, type OperatorFunction } from 'rxjs';
import type { Envelope } from '../../core/envelope.js';
import type { RejectSink } from '../../core/rejects.js';
import type { StateStore } from '../../state/store.js';
import type { CrmDelivery, DeliveryOutcome } from '../crm-delivery.js';
import type { Resolved } from './resolve.stage.js';

export interface LoadStageOptions {
  /** Longest wait for a batch to fill. */
  windowMs: number;
  /** Most records per delivery round (the loader packs their commands 50 to a batch). */
  maxRecords: number;
  /**
   * Delivery rounds in flight. More than one keeps the portal busy across a round's edges (its
   * last part-filled batch, state writes); CrmDelivery never delivers one company twice at once,
   * and ordered acks make out-of-order completion safe.
   */
  concurrency?: number;
  onDelivered?: (outcomes: readonly DeliveryOutcome[], seconds: number) => void;
}

/** INNs of the golden companies a resolved record touched (a contact's through its golden contact). */
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

/**
 * load: resolved records are gathered for a short window, the golden companies they touched are
 * delivered together, and only then are the records acked — so a source position never moves
 * past a record whose effect the CRM has not confirmed. A record whose company the CRM refused
 * is rejected (CRM_REJECTED) before its ack.
 */
export function loadStage(store: StateStore, delivery: CrmDelivery, rejects: RejectSink, opts: LoadStageOptions): OperatorFunction<Envelope<Resolved>, Envelope<Resolved>> {
  return (source) => source.pipe(
    bufferTime(opts.windowMs, null, opts.maxRecords),
    filter((batch) => batch.length > 0),
    mergeMap(async (batch) => {
      const started = performance.now();
      const inns = await touchedInns(store, batch);
      const outcomes = await delivery.deliver([...inns]);
      opts.onDelivered?.(outcomes, (performance.now() - started) / 1000);
      const refused = new Map(outcomes.filter((o) => o.status === 'rejected').map((o) => [o.inn, o.detail ?? 'refused by the CRM']));
      for (const env of batch) {
        const hit = env.value.result.companies.find((inn) => refused.has(inn));
        if (hit) await rejects.reject(env, 'CRM_REJECTED', `company ${hit}: ${refused.get(hit)}`);
        env.ack();
      }
      return batch;
    }, opts.concurrency ?? 3),
    concatMap((batch) => batch),
  );
}
