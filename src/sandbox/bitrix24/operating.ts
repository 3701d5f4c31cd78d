/**
 * The resource ("operating") limit of limits.md: execution time is summed per method in ten
 * one-minute baskets; when a method's total has reached the limit, its next call is refused with
 * 429 OPERATION_TIME_LIMIT before it runs. Off unless a limit is set. `costSec` replaces the
 * measured time per call, so tests can reach the limit without slow calls.
 */
export interface OperatingOptions {
  limitSec?: number;
  costSec?: number;
}

interface Basket {
  minute: number;
  sec: number;
}

const WINDOW_MIN = 10;

export class OperatingMeter {
  private readonly baskets = new Map<string, Basket[]>();
  constructor(public options: OperatingOptions = {}, private readonly now: () => number = Date.now) {}

  private live(method: string): Basket[] {
    const minute = Math.floor(this.now() / 60_000);
    const list = (this.baskets.get(method) ?? []).filter((b) => b.minute > minute - WINDOW_MIN);
    this.baskets.set(method, list);
    return list;
  }

  /** False when the method is blocked right now. */
  allowed(method: string): boolean {
    const limit = this.options.limitSec;
    return limit === undefined || this.total(method) < limit;
  }

  total(method: string): number {
    return this.live(method).reduce((s, b) => s + b.sec, 0);
  }

  record(method: string, measuredSec: number): { operating: number; resetAt: number } {
    const list = this.live(method);
    const minute = Math.floor(this.now() / 60_000);
    let basket = list.find((b) => b.minute === minute);
    if (!basket) list.push((basket = { minute, sec: 0 }));
    basket.sec += this.options.costSec ?? measuredSec;
    const oldest = Math.min(...list.map((b) => b.minute));
    return { operating: this.total(method), resetAt: (oldest + WINDOW_MIN) * 60 };
  }
}
