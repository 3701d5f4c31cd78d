import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The portal's resource limit mirrored on the client (docs/bitrix24-rest.md §3,
 * docs/bitrix24-api-facts.md §5): each method may spend `limitSec` of server time per 10 minutes,
 * counted in one-minute baskets, and the call after the total reaches the limit gets 429
 * OPERATION_TIME_LIMIT. The portal reports the running total as `time.operating` (per command in a
 * batch: `result_time[key].operating`), so the client keeps a ledger per method of what was charged
 * and when, reconciled with every reading, learns what one command costs, and holds a request back
 * until every method in it fits under the limit less a headroom. A charge is forgotten 10 minutes
 * after the client learned of it, never earlier than the portal's basket (which lives 10 minutes
 * from its first call), so the estimate errs high.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/** The `time` object of an answer, or one `result_time` entry. */
export interface OperatingReading {
  operating?: number;
  operating_reset_at?: number;
  /** Portal time (unix seconds) when the command finished: orders readings of concurrent requests. */
  finish?: number;
}

interface Charge {
  at: number;
  sec: number;
}

interface MethodLedger {
  charges: Charge[];
  /** Seconds projected for this method's commands now in flight. */
  reserved: number;
  /** Requests in flight that run this method. */
  inflight: number;
  /** Whether any request running it has come back: until then its cost is unknown, so one at a time. */
  settled: boolean;
  avg?: number;
  last?: { operating: number; resetAt?: number; finish: number };
}

const WINDOW_MS = 10 * 60_000;
/** Weight of the newest per-command sample in the running average. */
const ALPHA = 0.2;

export class OperatingBudget {
  private readonly ledgers = new Map<string, MethodLedger>();
  private waiters: Array<() => void> = [];

  constructor(
    readonly limitSec: number,
    readonly headroomSec: number,
    private readonly clock: Clock = systemClock,
  ) {}

  private ledger(method: string): MethodLedger {
    const key = method.toLowerCase();
    let l = this.ledgers.get(key);
    if (!l) this.ledgers.set(key, (l = { charges: [], reserved: 0, inflight: 0, settled: false }));
    return l;
  }

  /** Learned server seconds one command of `method` costs (0 until two readings were seen). */
  costOf(method: string): number {
    return this.ledger(method).avg ?? 0;
  }

  /** Seconds the method is known to have spent in the current window. */
  used(method: string): number {
    return this.live(this.ledger(method));
  }

  private live(l: MethodLedger): number {
    const now = this.clock.now();
    l.charges = l.charges.filter((c) => c.at + WINDOW_MS > now);
    return l.charges.reduce((s, c) => s + c.sec, 0);
  }

  /** One reading for `method` after one of its commands ran; older readings than the last are ignored. */
  observe(method: string, reading: OperatingReading | undefined): void {
    const l = this.ledger(method);
    l.settled = true;
    const operating = reading?.operating;
    if (typeof operating !== 'number' || !Number.isFinite(operating)) return;
    const finish = reading?.finish ?? this.clock.now() / 1000;
    if (l.last && finish < l.last.finish) return; // a concurrent request's answer that ran earlier
    const resetAt = reading?.operating_reset_at;
    // Without a basket dropping out in between, the rise is this one command's cost.
    if (l.last && resetAt === l.last.resetAt && operating > l.last.operating) {
      const sample = operating - l.last.operating;
      l.avg = l.avg === undefined ? sample : l.avg + ALPHA * (sample - l.avg);
    }
    const known = this.live(l);
    if (operating > known) {
      l.charges.push({ at: this.clock.now(), sec: operating - known }); // ours, or other clients' on this webhook
    } else {
      let excess = known - operating; // the portal dropped baskets before our conservative expiry
      while (excess > 1e-9 && l.charges.length) {
        const oldest = l.charges[0] as Charge;
        const cut = Math.min(oldest.sec, excess);
        oldest.sec -= cut;
        excess -= cut;
        if (oldest.sec <= 1e-9) l.charges.shift();
      }
    }
    l.last = { operating, resetAt, finish };
  }

  /**
   * Resolves when `counts` commands per method fit under the limit, and reserves their projected
   * cost until the returned release is called (after the answer was observed, or failed).
   */
  async acquire(counts: Readonly<Record<string, number>>): Promise<() => void> {
    for (;;) {
      const wait = this.waitFor(counts);
      if (wait === 0) break;
      if (wait === 'release') await new Promise<void>((r) => this.waiters.push(r));
      else await this.clock.sleep(wait);
    }
    const held = Object.entries(counts).map(([m, n]) => [this.ledger(m), n * this.costOf(m)] as const);
    for (const [l, sec] of held) {
      l.reserved += sec;
      l.inflight++;
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const [l, sec] of held) {
        l.reserved -= sec;
        l.inflight--;
        l.settled = true;
      }
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w();
    };
  }

  /** 0 when the commands fit now; ms until enough charges expire; 'release' when only in-flight work is in the way. */
  waitFor(counts: Readonly<Record<string, number>>): number | 'release' {
    const budget = this.limitSec - this.headroomSec;
    const now = this.clock.now();
    let wait = 0;
    for (const [method, n] of Object.entries(counts)) {
      const l = this.ledger(method);
      if (!l.settled && l.inflight > 0) return 'release'; // a first request is finding out what it costs
      const need = n * this.costOf(method);
      if (need <= 0) continue;
      let usage = this.live(l) + l.reserved;
      if (usage + need <= budget) continue;
      let until = now;
      for (const c of [...l.charges].sort((a, b) => a.at - b.at)) {
        usage -= c.sec;
        until = c.at + WINDOW_MS;
        if (usage + need <= budget) break;
      }
      if (usage + need > budget) {
        // Even an empty window would not hold it: wait for requests in flight, else send it anyway
        // (a single request larger than the budget cannot be paced, only the ones after it).
        if (l.reserved > 0) return 'release';
        if (until === now) continue;
      }
      wait = Math.max(wait, until - now);
    }
    return wait;
  }
}
