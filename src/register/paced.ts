import { TokenBucket } from '../connectors/egrul/token-bucket.js';
import type { Rechecker } from './refresh.js';

/**
 * The sweep's share of the register (issue 19): its look-ups first take a token from a bucket of
 * `share × rate` (capacity 1, so no burst), then go through the verifier like any other, sharing
 * its bucket, concurrency and retries. So the sweep takes at most that share of the register's
 * rate, and new records keep the rest however long the sweep runs.
 */
export function pacedRechecker(verifier: Rechecker, rate: number, share: number): Rechecker {
  const bucket = new TokenBucket(rate * share, 1);
  return {
    recheck: async (inn) => {
      await bucket.take();
      return verifier.recheck(inn);
    },
  };
}
