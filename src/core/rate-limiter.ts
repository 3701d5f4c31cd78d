import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one client-side rate limiter, for the CRM portal and the register alike: a counter that
 * every request raises by 1 and that drains `rate` per second; a request that would push it past
 * `capacity` waits here (the portal's own leaky bucket, docs/bitrix24-rest.md §3, mirrored so
 * we wait instead of meeting QUERY_LIMIT_EXCEEDED; for the register it is a token bucket of
 * `capacity` tokens, the same thing counted from the other end). Waiters are served in arrival
 * order (a promise chain), so a burst cannot starve an earlier caller.
 *
 * Kept by hand rather than taken from a library: callers need `saturate()` (the portal said 503:
 * assume its bucket full), the fill level for metrics and benches, and an injectable clock for
 * the tests — `limiter` and `bottleneck` offer none of the three together.
 */
export class RateLimiter {
  private level = 0;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly rate: number,
    readonly capacity: number = Math.max(1, rate),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0) || !(capacity >= 1)) throw new RangeError('rate limiter needs rate > 0 and capacity >= 1');
    this.last = now();
  }

  /** Resolves when one more request fits; returns the wait in ms (0 within the burst). */
  take(): Promise<number> {
    const started = this.now();
    const turn = this.tail.then(() => this.admit());
    this.tail = turn.catch(() => undefined);
    return turn.then(() => this.now() - started);
  }

  /**
   * The server said its bucket is full (the portal's 503): our counter under-estimated it —
   * another client on the same IP, or clock skew — so assume full and fall back to the drain rate.
   */
  saturate(): void {
    this.drain();
    this.level = this.capacity;
  }

  /** Requests counted and not yet drained (0 … capacity). */
  get fill(): number {
    this.drain();
    return this.level;
  }

  private async admit(): Promise<void> {
    for (;;) {
      this.drain();
      if (this.level + 1 <= this.capacity) {
        this.level += 1;
        return;
      }
      await sleep(Math.max(1, Math.ceil(((this.level + 1 - this.capacity) / this.rate) * 1000)));
    }
  }

  private drain(): void {
    const t = this.now();
    this.level = Math.max(0, this.level - ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }
}
