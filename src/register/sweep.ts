import { setTimeout as sleep } from 'node:timers/promises';
import type { EgrulConfig } from '../connectors/egrul/config.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { companyLinkKey, positionKey } from '../state/keys.js';
import type { RegistryEntry } from '../state/records.js';
import type { StateOp, StateStore } from '../state/store.js';
import type { FoundLoader, HeldRecord } from './load-found.js';
import { answeredSince, attachedContactOps, dueNotFound, isFound, settleOps, type DueInn } from './not-found.js';
import { loadedCompanies, type RefreshReport, type RegisterRefresh } from './refresh.js';

/**
 * Where the sweep of loaded companies resumes: the last INN it got past, under a reserved key of
 * the positions namespace (no source is named `register.sweep`). Absent: start from the first INN.
 */
export const SWEEP_CURSOR_KEY = positionKey('register.sweep', 'loaded');

/** Register entries looked at per step at most, so a long run of fresh ones still moves the cursor. */
const SCAN = 5000;

export interface SweepDeps {
  store: StateStore;
  /** A refresh whose look-ups are paced to the sweep's share (`pacedRechecker`). */
  refresh: Pick<RegisterRefresh, 'run'>;
  config: Pick<EgrulConfig, 'cacheTtlDays' | 'notFoundTtlHours' | 'sweep'>;
  /** Loads a found company from the records its rejects held; without it they are only listed (`register found`). */
  load?: FoundLoader;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  /** Called after each batch is stored, with its INNs (tests stop a sweep part-way with it). */
  onBatch?: (inns: readonly string[]) => void;
}

export interface SweepReport extends RefreshReport {
  /** Loaded companies re-checked because their answer was past the TTL. */
  expired: number;
  /** INNs of EGRUL_NOT_FOUND rejects whose back-off step fell due. */
  notFound: number;
  /** Of those, the ones the register now lists as active: their rejects are closed. */
  found: number;
  /** Of the found, the ones loaded from the records their rejects held. */
  loaded: number;
}

/**
 * The register sweep inside the service (issue 19 item 1 and 3): re-checks loaded companies whose
 * register answer is older than `registry.cacheTtlDays`, in INN order from a stored cursor, then
 * EGRUL_NOT_FOUND rejects on their back-off. Each batch goes through the register refresh (cache,
 * change log, CRM status field, metric) and is stored before the cursor moves past it. A company
 * the register lists now is loaded from the records its rejects held, and the rejects closed; a stop
 * lets the current batch finish. What a crash interrupts is not asked twice: an answer fetched
 * since the company fell due counts as its check.
 */
export class RegisterSweep {
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(private readonly deps: SweepDeps) {
    this.log = deps.logger ?? silentLogger;
    this.now = deps.now ?? (() => new Date());
  }

  /** Sweeps, waits `idleMinutes`, sweeps again, until `stop`; a failed sweep is logged and tried again. */
  async run(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      try {
        const report = await this.pass(stop);
        // a stopped pass is not done: the next process resumes it from the cursor
        if (stop.aborted) this.log.info({ ...report }, 'register sweep stopped; the next run resumes it');
        else if (report.expired + report.notFound > 0) this.log.info({ ...report }, 'register sweep done');
      } catch (err) {
        if (stop.aborted) break;
        this.log.warn({ err: errorMessage(err) }, 'register sweep failed; trying again after the idle wait');
      }
      await sleep(this.deps.config.sweep.idleMinutes * 60_000, undefined, { signal: stop }).catch(() => undefined);
    }
  }

  /** One sweep: from the cursor to the last INN, then the not-found rejects due now. */
  async pass(stop: AbortSignal = new AbortController().signal): Promise<SweepReport> {
    const report: SweepReport = {
      expired: 0,
      notFound: 0,
      found: 0,
      loaded: 0,
      checked: 0,
      changed: {},
      written: 0,
      corrected: 0,
      failed: 0,
    };
    await this.sweepLoaded(stop, report);
    if (!stop.aborted) await this.sweepNotFound(stop, report);
    return report;
  }

  private async sweepLoaded(stop: AbortSignal, report: SweepReport): Promise<void> {
    const { store } = this.deps;
    let cursor = await store.get('positions', SWEEP_CURSOR_KEY);
    while (!stop.aborted) {
      const { inns, last } = await this.nextExpired(cursor);
      if (last === undefined) {
        await store.batch([{ type: 'del', ns: 'positions', key: SWEEP_CURSOR_KEY }]);
        return;
      }
      if (inns.length) {
        const checked = await this.deps.refresh.run({ inns });
        add(report, checked);
        report.expired += inns.length;
        this.deps.metrics?.registerSweep.inc({ kind: 'expired' }, inns.length);
        this.deps.metrics?.registerSweep.inc({ kind: 'corrected' }, checked.corrected);
      }
      await store.batch([{ type: 'put', ns: 'positions', key: SWEEP_CURSOR_KEY, value: last }]);
      cursor = last;
      if (inns.length) this.deps.onBatch?.(inns);
    }
  }

  /** Up to `batch` loaded companies after `cursor` whose answer is past its TTL, and the last INN looked at. */
  private async nextExpired(cursor: string | undefined): Promise<{ inns: string[]; last?: string }> {
    const now = this.now().getTime();
    const { batch } = this.deps.config.sweep;
    const inns: string[] = [];
    let block: string[] = [];
    // expired entries are checked for being loaded a block at a time (a rejected company has an answer too)
    const keepLoaded = async (): Promise<void> => {
      const loaded = await loadedCompanies(this.deps.store, block);
      inns.push(...block.filter((inn) => loaded.has(inn)));
      block = [];
    };
    let last: string | undefined;
    let scanned = 0;
    for await (const [inn, entry] of this.deps.store.iterate('registry', cursor === undefined ? {} : { gt: cursor })) {
      last = inn;
      if (this.isExpired(entry, now)) block.push(inn);
      if (block.length >= batch - inns.length) await keepLoaded();
      if (inns.length >= batch || ++scanned >= SCAN) break;
    }
    await keepLoaded();
    return { inns, ...(last === undefined ? {} : { last }) };
  }

  /** The verifier's TTLs: a found status for `cacheTtlDays`, "not found" for `notFoundTtlHours`. */
  private isExpired(entry: RegistryEntry, now: number): boolean {
    const { cacheTtlDays, notFoundTtlHours } = this.deps.config;
    const ttlMs = entry.status === 'NOT_FOUND' ? notFoundTtlHours * 3_600_000 : cacheTtlDays * 86_400_000;
    return !(now - Date.parse(entry.fetchedAt) < ttlMs);
  }

  private async sweepNotFound(stop: AbortSignal, report: SweepReport): Promise<void> {
    const { store, config } = this.deps;
    const due = await dueNotFound(store, config.sweep.notFoundBackoffDays, this.now().getTime());
    for (let i = 0; i < due.length && !stop.aborted; i += config.sweep.batch) {
      const part = due.slice(i, i + config.sweep.batch);
      const cached = await store.getMany(
        'registry',
        part.map((d) => d.inn),
      );
      const ask = part.filter((d, k) => !answeredSince(cached[k], d.dueAt)).map((d) => d.inn);
      if (ask.length) add(report, await this.deps.refresh.run({ inns: ask }));
      const answers = await store.getMany(
        'registry',
        part.map((d) => d.inn),
      );
      const at = this.now().toISOString();
      const ops: StateOp[] = [];
      const loadedKeys = new Set<string>();
      let found = 0;
      for (const [k, d] of part.entries()) {
        if (!isFound(d.inn, answers[k])) {
          ops.push(...settleOps(d, answers[k], at, false));
          continue;
        }
        const loaded = await this.load(d, report);
        if (loaded === undefined) continue; // not loaded this time: still due, tried again by the next sweep
        found++;
        ops.push(...settleOps(d, answers[k], at, loaded));
        if (loaded)
          for (const r of d.rejects)
            if (r.held?.kind === 'company')
              loadedKeys.add(companyLinkKey(r.held.company.source, r.held.company.sourceId));
      }
      if (loadedKeys.size) ops.push(...(await attachedContactOps(store, loadedKeys, at)));
      await store.batch(ops);
      report.notFound += part.length;
      report.found += found;
      this.deps.metrics?.registerSweep.inc({ kind: 'not_found' }, part.length);
      this.deps.metrics?.registerSweep.inc({ kind: 'found' }, found);
      this.deps.onBatch?.(part.map((d) => d.inn));
    }
  }

  /**
   * Loads what the rejects of a found company held: true once loaded, false when they held nothing
   * (rejected before records were kept, or no loader: listed for a replay), undefined when the load failed.
   */
  private async load(d: DueInn, report: SweepReport): Promise<boolean | undefined> {
    const held: HeldRecord[] = d.rejects.flatMap((r) => (r.held ? [{ change: r.held, position: r.position }] : []));
    if (!this.deps.load || held.length === 0) return false;
    try {
      await this.deps.load(d.inn, held);
      report.loaded++;
      return true;
    } catch (err) {
      report.failed++;
      this.log.warn(
        { err: errorMessage(err) },
        'register sweep: a company the register lists now could not be loaded; trying again on the next sweep',
      );
      return undefined;
    }
  }
}

function add(into: RefreshReport, r: RefreshReport): void {
  into.checked += r.checked;
  into.written += r.written;
  into.corrected += r.corrected;
  into.failed += r.failed;
  for (const [status, n] of Object.entries(r.changed)) into.changed[status] = (into.changed[status] ?? 0) + n;
}
