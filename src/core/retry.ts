import { setTimeout as sleep } from 'node:timers/promises';
import { BackOffError, CrmUnifyError, isRetriable } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first; Infinity keeps trying (an outage backpressures, never drops). */
  retries: number;
  baseMs: number;
  maxMs: number;
  signal?: AbortSignal;
  /** Decides retriability; defaults to `isRetriable`. */
  retriable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
}

export const defaultRetry: RetryOptions = { retries: 8, baseMs: 200, maxMs: 30_000 };

/** Full-jitter exponential backoff (AWS architecture blog); a BackOffError's own wait wins. */
export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'baseMs' | 'maxMs'>, err?: unknown): number {
  if (err instanceof BackOffError) return Math.min(err.waitMs, opts.maxMs);
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

/** Runs `fn` until it succeeds, fails with a non-retriable error, or retries run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = defaultRetry): Promise<T> {
  const retriable = opts.retriable ?? isRetriable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!retriable(err)) throw err;
      if (attempt >= opts.retries) {
        throw new CrmUnifyError('RETRIES_EXHAUSTED', `gave up after ${attempt + 1} attempts`, { cause: err });
      }
      const wait = backoffDelay(attempt, opts, err);
      opts.onRetry?.(err, attempt + 1, wait);
      await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : undefined);
    }
  }
}
