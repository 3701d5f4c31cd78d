/**
 * The resource ("operating") limit (docs/bitrix24-api-facts.md §5): execution time is summed per
 * method in ten one-minute baskets; a basket drops out 10 minutes after the first call recorded in
 * it (`operating_reset_at`). When a method's total has reached the limit, its next call is refused
 * with 429 OPERATION_TIME_LIMIT before it runs. Off unless a limit is set.
 *
 * `costs` (per method) and `costSec` (any other method) replace the measured time per call, so
 * tests can reach the limit without slow calls. `batchAccounting` says who pays for a `batch`:
 * `nested` (docs/bitrix24-api-facts.md §5: the outer call is not counted, each command against its
 * own method) or `batch` (the JSSDK PR #539 measurement: the outer `batch` is charged, commands
 * read 0).
 */
export interface OperatingOptions {
  limitSec?: number;
  costSec?: number;
  /** Seconds charged per executed call of a method; names are case-insensitive. */
  costs?: Record<string, number>;
  batchAccounting?: 'nested' | 'batch';
  /** The meter's clock (ms); tests pass a fake one to cross basket resets instantly. */
  now?: () => number;
}

export interface OperatingReading {
  operating: number;
  /** Unix seconds when the oldest basket drops out. */
  resetAt: number;
}

interface Basket {
  minute: number;
  /** ms of the first call recorded in this basket: the basket lives 10 minutes from it. */
  firstAt: number;
  sec: number;
}

const WINDOW_MS = 10 * 60_000;

/** `crm.item.batchImport=0.4,crm.company.update=0.05` → a costs map (CLI and env syntax). */
export function parseOperatingCosts(spec: string): Record<string, number> {
  const costs: Record<string, number> = {};
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const method = part.slice(0, eq).trim();
    const sec = Number(part.slice(eq + 1));
    if (eq <= 0 || !method || !(sec >= 0) || !Number.isFinite(sec)) {
      throw new Error(`"${part}": expected method=seconds, e.g. crm.item.batchImport=0.4`);
    }
    costs[method.toLowerCase()] = sec;
  }
  return costs;
}

export class OperatingMeter {
  private readonly baskets = new Map<string, Basket[]>();
  private readonly costs: Map<string, number>;
  private readonly now: () => number;

  constructor(
    public readonly options: OperatingOptions = {},
    now?: () => number,
  ) {
    this.now = now ?? options.now ?? Date.now;
    this.costs = new Map(Object.entries(options.costs ?? {}).map(([m, s]) => [m.toLowerCase(), s]));
  }

  get batchAccounting(): 'nested' | 'batch' {
    return this.options.batchAccounting ?? 'nested';
  }

  private live(method: string): Basket[] {
    const t = this.now();
    const list = (this.baskets.get(method) ?? []).filter((b) => b.firstAt + WINDOW_MS > t);
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

  /** What one call of `method` is charged: its configured cost, else `costSec`, else the measured time. */
  costOf(method: string, measuredSec: number): number {
    return this.costs.get(method.toLowerCase()) ?? this.options.costSec ?? measuredSec;
  }

  /** Charges `sec` to the method (0 just reads) and returns its total and reset time. */
  record(method: string, sec: number): OperatingReading {
    const list = this.live(method);
    const t = this.now();
    const minute = Math.floor(t / 60_000);
    const basket = list.find((b) => b.minute === minute);
    if (basket) basket.sec += sec;
    else if (sec > 0) list.push({ minute, firstAt: t, sec });
    const oldest = Math.min(t, ...list.map((b) => b.firstAt));
    return { operating: this.total(method), resetAt: Math.ceil((oldest + WINDOW_MS) / 1000) };
  }
}
