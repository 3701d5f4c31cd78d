import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A token bucket shared by every register call: `capacity` tokens, refilled at `rate` per second.
 * Takers are served first come, first served (a chained promise), so a burst of callers cannot
 * starve an earlier one and the long-run rate never exceeds `rate`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly rate: number,
    readonly capacity: number = Math.max(1, rate),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0) || !(capacity >= 1)) throw new RangeError('token bucket needs rate > 0 and capacity >= 1');
    this.tokens = capacity;
    this.last = now();
  }

  /** Resolves when a token is granted; returns how long the caller waited (ms). */
  take(): Promise<number> {
    const started = this.now();
    const turn = this.tail.then(() => this.acquire());
    this.tail = turn.catch(() => undefined);
    return turn.then(() => this.now() - started);
  }

  private async acquire(): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }
}

/** Bounds work in flight; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('semaphore limit must be >= 1');
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    }
  }

  get inFlight(): number {
    return this.active;
  }
}
