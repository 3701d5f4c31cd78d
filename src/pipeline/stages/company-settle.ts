/**
 * Which golden companies are ready to be delivered, and which records may be acked once which
 * deliveries are done. A company is ready when no record has touched it for `settleMs` (a burst of
 * changes — a company and then its contacts, the other store's copy — becomes one delivery), or
 * when it has waited `maxWaitMs` since its first touch (a company touched without pause still
 * goes out), or when too many records are held (the source's credit must not run dry).
 */
export interface SettleOptions {
  settleMs: number;
  maxWaitMs: number;
  /** Held records at or above this release the companies of the oldest ones at once. */
  maxHeld: number;
}

interface Touch {
  first: number;
  last: number;
}

interface Held<T> {
  item: T;
  /** INNs not yet handed to a delivery. */
  open: Set<string>;
  /** Deliveries that must finish before the record may be acked. */
  waits: Array<Promise<unknown>>;
}

export class CompanySettle<T> {
  private readonly touched = new Map<string, Touch>();
  private held: Array<Held<T>> = [];

  constructor(private readonly opts: SettleOptions) {}

  get size(): number {
    return this.held.length;
  }

  add(item: T, inns: Iterable<string>, now: number): void {
    const open = new Set(inns);
    for (const inn of open) {
      const t = this.touched.get(inn);
      if (t) t.last = now;
      else this.touched.set(inn, { first: now, last: now });
    }
    this.held.push({ item, open, waits: [] });
  }

  /** INNs ready now, oldest first; `all` releases everything (the source is drained). */
  due(now: number, all = false): string[] {
    const out = new Set<string>();
    for (const [inn, t] of this.touched) {
      if (all || now - t.last >= this.opts.settleMs || now - t.first >= this.opts.maxWaitMs) out.add(inn);
    }
    // Over the limit: the oldest held records' companies go now, so their credit comes back.
    let excess = this.held.length - this.opts.maxHeld + 1;
    for (const h of this.held) {
      if (excess <= 0) break;
      for (const inn of h.open) if (this.touched.has(inn)) out.add(inn);
      excess--;
    }
    return [...out];
  }

  /**
   * `inns` are being delivered by `delivery`. Returns the records whose every company is now
   * handed to a delivery, with the deliveries to await before acking them.
   */
  schedule(inns: readonly string[], delivery: Promise<unknown>): Array<{ item: T; waits: Array<Promise<unknown>> }> {
    for (const inn of inns) this.touched.delete(inn);
    const set = new Set(inns);
    const ready: Array<{ item: T; waits: Array<Promise<unknown>> }> = [];
    const rest: Array<Held<T>> = [];
    for (const h of this.held) {
      let hit = false;
      for (const inn of h.open)
        if (set.has(inn)) {
          h.open.delete(inn);
          hit = true;
        }
      if (hit) h.waits.push(delivery);
      if (h.open.size === 0) ready.push({ item: h.item, waits: h.waits });
      else rest.push(h);
    }
    this.held = rest;
    return ready;
  }
}
