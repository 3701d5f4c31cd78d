import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The portal's own limiter mirrored on the client (notes §3): every request adds 1 to a counter
 * that drains `rate` per second, and a request that would push it past `capacity` waits here
 * instead of meeting QUERY_LIMIT_EXCEEDED there. Waiters are served in order (a promise chain).
 */
export class LeakyBucket {
  private level = 0;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly rate: number,
    readonly capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0) || !(capacity >= 1)) throw new RangeError('leaky bucket needs rate > 0 and capacity >= 1');
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
   * The portal said its bucket is full (503): our counter under-estimated it — another client on
   * the same IP, or clock skew — so assume full and fall back to the drain rate.
   */
  saturate(): void {
    this.drain();
    this.level = this.capacity;
  }

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
