import type { Bitrix24Client, BatchCommand } from '../connectors/bitrix24/rest-client.js';
import type { EgrulVerifier } from '../connectors/egrul/verifier.js';
import type { RegistryStatus } from '../connectors/egrul/status.js';
import { errorMessage } from '../core/errors.js';
import { withRetry } from '../core/retry.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { registryCacheOp } from '../pipeline/state-registry-cache.js';
import type { RegisterChange } from '../state/records.js';
import type { StateOp, StateStore } from '../state/store.js';
import { correctionFor, markFor } from './marks.js';
import type { StatusField } from './status-field.js';

/** What a refresh asks the register through: the verifier, or the sweep's paced wrapper of it. */
export type Rechecker = Pick<EgrulVerifier, 'recheck'>;

export interface RefreshDeps {
  store: StateStore;
  verifier: Rechecker;
  client: Bitrix24Client;
  field: StatusField;
  /** Commands per `batch` (the portal's maximum is 50). */
  batchSize: number;
  /** Back-off between attempts of a batch whose answer was lost (the client does not repeat writes itself). */
  retry: { baseMs: number; maxMs: number };
  metrics?: Metrics;
  logger?: Logger;
  now?: () => Date;
  /**
   * Also check the marks of the companies whose status did not change: the status field is read
   * (in bulk) and set where it does not show the status (the sweep; `register refresh` only tells changes).
   */
  correct?: boolean;
}

/** Which companies to check again: these INNs, or every loaded company whose cached status is this one. */
export type RefreshTarget = { inns: readonly string[] } | { status: string };

export interface RefreshReport {
  checked: number;
  /** Statuses that changed, by the new status. */
  changed: Record<string, number>;
  /** CRM companies whose status field was set or cleared. */
  written: number;
  /** Of the companies whose status did not change, the ones whose field did not show it (set right). */
  corrected: number;
  failed: number;
}

/** A loaded company whose re-check gave the status it had. */
interface Unchanged {
  inn: string;
  status: string;
  crmId: string;
}

/** INNs re-checked per round: their look-ups run together (the verifier paces them), then one state batch. */
const ROUND = 200;
const changeKey = (c: RegisterChange): string => `${c.at}|${c.inn}`;

/**
 * `crm-unify register refresh` (issue 19 item 4): checks companies in the register again, past the
 * cache; stores each answer and every change it shows in one state batch (so a crash cannot lose
 * a change), counts the change, then tells the CRM: the status field of each loaded company whose
 * mark changed, 50 updates a batch. Writes left pending by a crash go out first on the next run.
 */
export class RegisterRefresh {
  private readonly log: Logger;
  private readonly now: () => Date;
  /** Whether this process has sent what the change log holds as pending. */
  private recovered = false;

  constructor(private readonly deps: RefreshDeps) {
    this.log = deps.logger ?? silentLogger;
    this.now = deps.now ?? (() => new Date());
  }

  async run(target: RefreshTarget): Promise<RefreshReport> {
    const report: RefreshReport = { checked: 0, changed: {}, written: 0, corrected: 0, failed: 0 };
    try {
      // The change log grows for ever: it is scanned for what a crash left pending once per
      // process (the sweep runs a refresh per batch), and again only after a run that failed.
      if (!this.recovered) await this.write(await this.pending(), report);
      this.recovered = true;
      const inns = 'inns' in target ? [...new Set(target.inns)] : await this.loadedWithStatus(target.status);
      for (let i = 0; i < inns.length; i += ROUND) {
        const { changes, same, at } = await this.recheck(inns.slice(i, i + ROUND), report);
        const corrections = this.deps.correct ? await this.corrections(same, at) : [];
        report.corrected += corrections.length;
        await this.write([...changes.filter((c) => c.crm === 'pending'), ...corrections], report);
      }
    } catch (err) {
      this.recovered = false;
      throw err;
    }
    return report;
  }

  /** Loaded companies (the CRM holds them) whose cached register status is `status`. */
  private async loadedWithStatus(status: string): Promise<string[]> {
    const inns: string[] = [];
    for await (const [inn, entry] of this.deps.store.iterate('registry')) if (entry.status === status) inns.push(inn);
    const ids = await this.crmIds(inns);
    return inns.filter((inn) => ids.has(inn));
  }

  private crmIds(inns: readonly string[]): Promise<Map<string, string>> {
    return loadedCompanies(this.deps.store, inns);
  }

  private async recheck(
    inns: readonly string[],
    report: RefreshReport,
  ): Promise<{ changes: RegisterChange[]; same: Unchanged[]; at: string }> {
    const [cached, answers, ids] = await Promise.all([
      this.deps.store.getMany('registry', inns),
      Promise.all(inns.map((inn) => this.deps.verifier.recheck(inn))),
      this.crmIds(inns),
    ]);
    const at = this.now().toISOString();
    const ops: StateOp[] = [];
    const changes: RegisterChange[] = [];
    const same: Unchanged[] = [];
    inns.forEach((inn, i) => {
      const answer = answers[i] as RegistryStatus;
      ops.push(registryCacheOp(inn, { status: answer, checkedAt: Date.parse(at) }));
      const from = cached[i]?.status ?? null;
      const crmId = ids.get(inn) ?? null;
      if (from === answer.status) {
        if (crmId !== null) same.push({ inn, status: from, crmId });
        return;
      }
      const value = crmId === null ? undefined : markFor(from, answer.status, at);
      const change: RegisterChange = {
        inn,
        from,
        to: answer.status,
        at,
        crmId,
        value: value ?? null,
        crm: value === undefined ? 'none' : 'pending',
      };
      changes.push(change);
      ops.push({ type: 'put', ns: 'registerChanges', key: changeKey(change), value: change });
    });
    await this.deps.store.batch(ops);
    report.checked += inns.length;
    for (const c of changes) {
      report.changed[c.to] = (report.changed[c.to] ?? 0) + 1;
      this.deps.metrics?.registerChanges.inc({ status: c.to });
    }
    return { changes, same, at };
  }

  /**
   * Loaded companies whose status did not change but whose field does not show it: read from the
   * CRM 50 per list, and each difference stored as a pending write (from = to, with what the field
   * showed) before it is sent, like a change, so a crash cannot lose it.
   */
  private async corrections(same: readonly Unchanged[], at: string): Promise<RegisterChange[]> {
    if (same.length === 0) return [];
    const shown = await this.deps.field.read(
      same.map((s) => s.crmId),
      this.deps.batchSize,
    );
    const out: RegisterChange[] = [];
    for (const { inn, status, crmId } of same) {
      const value = correctionFor(status, shown.get(crmId), at);
      if (value === undefined) continue;
      out.push({
        inn,
        from: status,
        to: status,
        at,
        crmId,
        value,
        crm: 'pending',
        detail: `the CRM field showed ${JSON.stringify(shown.get(crmId) ?? '')}`,
      });
    }
    if (out.length)
      await this.deps.store.batch(
        out.map((c) => ({ type: 'put' as const, ns: 'registerChanges' as const, key: changeKey(c), value: c })),
      );
    return out;
  }

  /** Changes whose CRM write never got confirmed (a crash, a refused command), the latest per INN. */
  private async pending(): Promise<RegisterChange[]> {
    const out: RegisterChange[] = [];
    for await (const [, c] of this.deps.store.iterate('registerChanges')) if (c.crm === 'pending') out.push(c);
    return out;
  }

  /**
   * Sets or clears the status field, `batchSize` companies a batch; each change is marked written
   * (or failed, with the portal's reason) once its batch is answered. Of two pending changes of
   * one company only the later is sent: the earlier is marked `none`, replaced.
   */
  private async write(changes: readonly RegisterChange[], report: RefreshReport): Promise<void> {
    const latest = new Map<string, RegisterChange>();
    const replaced: RegisterChange[] = [];
    for (const c of [...changes].sort((a, b) => a.at.localeCompare(b.at))) {
      const before = latest.get(c.inn);
      if (before) replaced.push({ ...before, crm: 'none', detail: `replaced by the change of ${c.at}` });
      latest.set(c.inn, c);
    }
    if (replaced.length)
      await this.deps.store.batch(
        replaced.map((c) => ({ type: 'put' as const, ns: 'registerChanges' as const, key: changeKey(c), value: c })),
      );
    const todo = [...latest.values()];
    if (todo.length === 0) return;
    await this.deps.field.ensure();
    for (let i = 0; i < todo.length; i += this.deps.batchSize) {
      const part = todo.slice(i, i + this.deps.batchSize);
      const cmds: Record<string, BatchCommand> = Object.fromEntries(
        part.map((c, k) => [
          `u${k}`,
          {
            method: 'crm.company.update',
            params: { id: c.crmId, fields: { [this.deps.field.name]: c.value } },
          },
        ]),
      );
      // Setting a field twice sets it once: a batch whose answer was lost is simply sent again.
      const answer = await withRetry(() => this.deps.client.batch(cmds), {
        retries: Number.POSITIVE_INFINITY,
        ...this.deps.retry,
        onRetry: (err, attempt, waitMs) =>
          this.log.warn(
            { companies: part.length, attempt, waitMs, err: errorMessage(err) },
            'register status writes not confirmed, sending again',
          ),
      });
      const done = part.map((c, k): RegisterChange => {
        const err = answer.errors[`u${k}`];
        if (!err && answer.result[`u${k}`] !== undefined) return { ...c, crm: 'written' };
        const detail = err ? `${err.error} ${err.error_description ?? ''}`.trim() : 'no answer for the command';
        this.log.warn({ crmId: c.crmId, detail }, 'register status not written to the CRM company');
        return { ...c, crm: 'failed', detail };
      });
      await this.deps.store.batch(
        done.map((c) => ({ type: 'put' as const, ns: 'registerChanges' as const, key: changeKey(c), value: c })),
      );
      report.written += done.filter((c) => c.crm === 'written').length;
      report.failed += done.filter((c) => c.crm === 'failed').length;
    }
  }
}

/** CRM company ids of the INNs that are loaded: active golden companies the CRM confirmed. */
export async function loadedCompanies(store: StateStore, inns: readonly string[]): Promise<Map<string, string>> {
  const [ledger, companies] = await Promise.all([store.getMany('crmIds', inns), store.getMany('companies', inns)]);
  const out = new Map<string, string>();
  inns.forEach((inn, i) => {
    const e = ledger[i];
    const id = e?.delivery?.ids?.companyId ?? (e?.company ? Number(e.company) : undefined);
    if (id && companies[i]?.status === 'active') out.set(inn, String(id));
  });
  return out;
}

/** Register changes recorded at or after `since` (ISO), oldest first. */
export async function listRegisterChanges(store: StateStore, since?: string): Promise<RegisterChange[]> {
  const out: RegisterChange[] = [];
  for await (const [, c] of store.iterate('registerChanges', since ? { gte: since } : {})) out.push(c);
  return out;
}
