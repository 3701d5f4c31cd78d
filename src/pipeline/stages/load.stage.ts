import { Observable, bufferTime, filter, pipe, type OperatorFunction } from 'rxjs';
import type { Envelope } from '../../core/envelope.js';
import type { RejectSink } from '../../core/rejects.js';
import type { StateStore } from '../../state/store.js';
import type { CrmDelivery, DeliveryOutcome } from '../../delivery/crm-delivery.js';
import { CompanySettle } from './company-settle.js';
import type { Resolved } from './resolve.stage.js';

export interface LoadStageOptions {
  /** Longest wait to gather resolved records before their companies are looked up. */
  windowMs: number;
  /** Most companies per delivery round (the loader packs their commands 50 to a batch). */
  maxRecords: number;
  /**
   * A company is delivered once no record touched it for this long, so a burst of changes to it
   * costs one delivery. 0 delivers every window as it comes.
   */
  settleMs?: number;
  /** A company touched without pause is delivered after this long anyway. */
  maxWaitMs?: number;
  /** Records held for settling at most (they hold source credit); the oldest go first beyond it. */
  maxHeld?: number;
  /**
   * Delivery rounds in flight. More than one keeps the portal busy across a round's edges (its
   * last part-filled batch, state writes); CrmDelivery never delivers one company twice at once,
   * and ordered acks make out-of-order completion safe.
   */
  concurrency?: number;
  onDelivered?: (outcomes: readonly DeliveryOutcome[], seconds: number) => void;
  /** The input ended: every record has reached this stage (their deliveries may still run). */
  onInputEnd?: () => void;
}

/** INNs of the golden companies each resolved record touched (a contact's through its golden contact). */
async function touchedInns(store: StateStore, batch: readonly Envelope<Resolved>[]): Promise<Array<Set<string>>> {
  const contactIds = batch.flatMap((env) => env.value.result.contacts);
  const innOf = new Map<string, string>();
  (await store.getMany('contacts', contactIds)).forEach((c, i) => {
    if (c) innOf.set(contactIds[i]!, c.inn);
  });
  return batch.map(
    (env) =>
      new Set([
        ...env.value.result.companies,
        ...env.value.result.contacts.map((id) => innOf.get(id)).filter((inn): inn is string => inn !== undefined),
      ]),
  );
}

/**
 * Resolved records in batches for their look-ups: a batch closes when it holds `maxRecords` or
 * `windowMs` after it opened, whichever comes first; empty windows emit nothing.
 */
export function loadBatches<T>(windowMs: number, maxRecords: number): OperatorFunction<T, T[]> {
  return pipe(
    bufferTime<T>(windowMs, null, maxRecords),
    filter((b) => b.length > 0),
  );
}

/**
 * load: resolved records are held while their companies settle, each settled company is delivered
 * (many per round), and a record is acked only when every company it touched has been delivered —
 * so a source position never moves past a record whose effect the CRM has not confirmed. A record
 * whose company the CRM refused is rejected (CRM_REJECTED) before its ack. When the input ends,
 * every held company is delivered at once.
 */
export function loadStage(
  store: StateStore,
  delivery: CrmDelivery,
  rejects: RejectSink,
  opts: LoadStageOptions,
): OperatorFunction<Envelope<Resolved>, Envelope<Resolved>> {
  const settleMs = opts.settleMs ?? 0;
  const concurrency = opts.concurrency ?? 3;
  return (source) =>
    new Observable<Envelope<Resolved>>((out) => {
      const settle = new CompanySettle<Envelope<Resolved>>({
        settleMs,
        maxWaitMs: opts.maxWaitMs ?? Math.max(settleMs * 5, 10_000),
        maxHeld: opts.maxHeld ?? Number.POSITIVE_INFINITY,
      });
      const refused = new Map<string, string>();
      const queue: string[] = [];
      const queued = new Set<string>();
      let running = 0;
      let lookups = Promise.resolve();
      let inputDone = false;
      let acking = 0;
      let failed = false;

      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        out.error(err);
      };
      const maybeComplete = (): void => {
        if (inputDone && settle.size === 0 && queue.length === 0 && running === 0 && acking === 0 && !failed)
          out.complete();
      };
      const release = (ready: Array<{ item: Envelope<Resolved>; waits: Array<Promise<unknown>> }>): void => {
        for (const { item: env, waits } of ready) {
          acking++;
          Promise.all(waits)
            .then(async () => {
              const hit = env.value.result.companies.find((inn) => refused.has(inn));
              if (hit) await rejects.reject(env, 'CRM_REJECTED', `company ${hit}: ${refused.get(hit)}`);
              env.ack();
              out.next(env);
            })
            .catch(fail)
            .finally(() => {
              acking--;
              maybeComplete();
            });
        }
      };
      const pump = (): void => {
        while (!failed && running < concurrency && queue.length > 0) {
          const inns = queue.splice(0, opts.maxRecords);
          for (const inn of inns) queued.delete(inn);
          running++;
          const started = performance.now();
          const round = delivery.deliver(inns).then((outcomes) => {
            opts.onDelivered?.(outcomes, (performance.now() - started) / 1000);
            for (const o of outcomes) if (o.status === 'rejected') refused.set(o.inn, o.detail ?? 'refused by the CRM');
          });
          release(settle.schedule(inns, round));
          round.catch(fail).finally(() => {
            running--;
            pump();
            maybeComplete();
          });
        }
      };
      const enqueue = (all: boolean): void => {
        for (const inn of settle.due(Date.now(), all)) {
          if (!queued.has(inn)) {
            queued.add(inn);
            queue.push(inn);
          }
        }
        pump();
      };
      const timer = setInterval(() => enqueue(false), Math.max(20, Math.min(250, settleMs / 4)));

      const sub = source.pipe(loadBatches(opts.windowMs, opts.maxRecords)).subscribe({
        next: (batch) => {
          // Look-ups run in arrival order so that records are held in the order they came.
          lookups = lookups
            .then(async () => {
              const inns = await touchedInns(store, batch);
              const now = Date.now();
              batch.forEach((env, i) => settle.add(env, inns[i]!, now));
              // Records that touched no company are released with the next schedule (nothing to wait for).
              release(settle.schedule([], Promise.resolve()));
              enqueue(settleMs === 0);
            })
            .catch(fail);
        },
        error: fail,
        complete: () => {
          lookups
            .then(() => {
              inputDone = true;
              opts.onInputEnd?.();
              enqueue(true);
              maybeComplete();
            })
            .catch(fail);
        },
      });
      return () => {
        clearInterval(timer);
        sub.unsubscribe();
      };
    });
}
