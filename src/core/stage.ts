import { mergeMap, type OperatorFunction, EMPTY, from, of } from 'rxjs';
import type { Outcome } from '../model/outcome.js';
import { mapEnvelope, type Envelope } from './envelope.js';
import { CrmUnifyError, errorMessage, isRetriable } from './errors.js';
import type { RejectSink } from './rejects.js';
import { withRetry, type RetryOptions } from './retry.js';

/**
 * What a stage does with an error its function throws:
 * - transient errors (network, 5xx, rate limits) are retried with backoff per `retry`;
 * - `fail` (default): anything else fails the topology; nothing of the record is acked, so a
 *   restart reads it again;
 * - `reject`: anything else rejects the record as MALFORMED_RECORD and the pipeline goes on.
 * Bad data is not an error: the function returns a rejected Outcome, which is always rejected.
 */
export interface StagePolicy {
  onError?: 'fail' | 'reject';
  retry?: RetryOptions;
  concurrency?: number;
}

export interface StageHooks {
  rejects: RejectSink;
  /** Called per settled outcome, for metrics. */
  observe?: (stage: string, outcome: 'ok' | 'rejected', seconds: number) => void;
}

/**
 * A stage as an OperatorFunction over envelopes: runs `fn` on each value under the policy, emits
 * accepted values downstream and settles rejected records itself (durable reject, then ack).
 */
export function stage<A, B>(
  name: string,
  fn: (value: A, env: Envelope<A>) => Outcome<B> | Promise<Outcome<B>>,
  hooks: StageHooks,
  policy: StagePolicy = {},
): OperatorFunction<Envelope<A>, Envelope<B>> {
  const run = async (env: Envelope<A>): Promise<Envelope<B> | undefined> => {
    const started = performance.now();
    let outcome: Outcome<B>;
    try {
      outcome = policy.retry
        ? await withRetry(() => Promise.resolve(fn(env.value, env)), policy.retry)
        : await fn(env.value, env);
    } catch (err) {
      if (policy.onError !== 'reject' || isRetriable(err)) {
        throw new CrmUnifyError('TOPOLOGY_FAILED', `stage ${name} failed: ${errorMessage(err)}`, { cause: err });
      }
      outcome = { ok: false, reason: 'MALFORMED_RECORD', detail: `${name}: ${errorMessage(err)}` };
    }
    const seconds = (performance.now() - started) / 1000;
    if (outcome.ok) {
      hooks.observe?.(name, 'ok', seconds);
      return mapEnvelope(env, outcome.value);
    }
    await hooks.rejects.reject(env, outcome.reason, outcome.detail, outcome.sourceId ?? null);
    hooks.observe?.(name, 'rejected', seconds);
    env.ack();
    return undefined;
  };
  return mergeMap((env) => from(run(env)).pipe(mergeMap((out) => (out ? of(out) : EMPTY))), policy.concurrency ?? 1);
}
