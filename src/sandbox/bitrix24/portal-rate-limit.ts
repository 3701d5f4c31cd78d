/**
 * The portal's request-rate limit (docs/bitrix24-rest.md §3): every request adds one to a counter
 * that drains by `rate` per second; a request that would push it over `burst` is refused (503
 * QUERY_LIMIT_EXCEEDED) and not counted. Defaults are the non-Enterprise plans': 2/s, 50.
 * `Infinity` for either turns the limit off (handy for functional tests).
 */
export class PortalRateLimit {
  private level = 0;
  private last: number;

  constructor(
    private rate = 2,
    private burst = 50,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
  }

  private drain(): void {
    const t = this.now();
    this.level = Math.max(0, this.level - ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /** True if the request may run (and is counted); false if it must be refused. */
  take(): boolean {
    if (!Number.isFinite(this.rate) || !Number.isFinite(this.burst)) return true; // Infinity turns the limit off
    this.drain();
    if (this.level + 1 > this.burst) return false;
    this.level += 1;
    return true;
  }

  configure(rate: number, burst: number): void {
    this.drain();
    this.rate = rate;
    this.burst = burst;
  }

  get current(): { level: number; rate: number; burst: number } {
    this.drain();
    return { level: this.level, rate: this.rate, burst: this.burst };
  }
}
