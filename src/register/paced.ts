import { RateLimiter } from '../core/rate-limiter.js';
import type { Rechecker } from './refresh.js';

/**
 * The sweep's share of the register (issue 19): a bucket of `share × rate` with capacity 1 (no
 * burst). Its look-ups take a token here first, then go through the verifier like any other,
 * sharing its bucket, concurrency and retries: so the sweep takes at most that share of the
 * register's rate, and new records keep the rest however long the sweep runs.
 */
export function sweepBucket(rate: number, share: number): RateLimiter {
  return new RateLimiter(rate * share, 1);
}

/** Each re-check waits for a token of `bucket` before it reaches the verifier. */
export function pacedRechecker(verifier: Rechecker, bucket: Pick<RateLimiter, 'take'>): Rechecker {
  return {
    recheck: async (inn) => {
      await bucket.take();
      return verifier.recheck(inn);
    },
  };
}
