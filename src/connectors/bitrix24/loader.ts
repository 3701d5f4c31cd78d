import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { withRetry } from '../../core/retry.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { applyFailure, applySuccess } from './apply.js';
import type { Bitrix24Config } from './config.js';
import { batchCommands, pack, type Packed } from './pack.js';
import { adoptByInn, adoptContactsIn, readCurrent } from './crm-reads.js';
import { markUnknown, planOps, type PlanContext, type Work } from './plan.js';
import type { PortalError } from './classify.js';
import { resolvePresets } from './presets.js';
import type { Bitrix24Client, BatchCommand } from './rest-client.js';
import { WireError } from './transport.js';
import { emptyIds, type CrmIds, type GoldenCompany, type LoadResult } from './types.js';

export interface LoaderDeps {
  logger?: Logger;
  /**
   * Awaited before a batch with creates is sent, with the golden ids concerned: persist
   * "create attempted" here, so that after a crash the next load looks them up instead of
   * creating twins (DESIGN §5).
   */
  onCreateAttempt?: (goldenIds: string[]) => Promise<void>;
}

const cloneIds = (ids: CrmIds | undefined): CrmIds => (ids ? structuredClone(ids) : emptyIds());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Delivers golden companies to Bitrix24 in rounds: plan every company's next commands, pack them
 * into batches of up to 50 across companies, send them (a few in flight, paced by the client's
 * bucket), fold the per-command answers back, repeat until nothing is left to send. A batch whose
 * answer was lost sends its companies through an ORIGIN_ID look-up before anything is re-sent.
 */
export class Bitrix24Loader {
  private presets?: Promise<{ ORG: number; IE: number }>;
  private readonly log: Logger;
  /**
   * Golden ids whose last load() did not settle (retry, rejected, or cut short by a fatal error)
   * after sending creates or writes of unknown outcome. Their next load in this process looks
   * everything up first, even if the caller passes the original input again without the ids or
   * `createAttempted`; across a restart the caller's persisted `createAttempted` (onCreateAttempt,
   * LoadResult) does the same.
   */
  private readonly unknownOutcome = new Set<string>();
  /** Off once the portal answered that `crm.item.batchImport` does not exist: creates go one command each. */
  private bulkImport: boolean;

  constructor(
    private readonly client: Bitrix24Client,
    private readonly config: Bitrix24Config,
    private readonly deps: LoaderDeps = {},
  ) {
    this.log = deps.logger ?? silentLogger;
    this.bulkImport = config.bulkImport;
  }

  async load(companies: readonly GoldenCompany[]): Promise<LoadResult[]> {
    const presets = await this.presetIds();
    const works: Work[] = companies.map((input, i) => ({
      tag: `w${i.toString(36)}_`,
      input,
      ids: cloneIds(input.synced?.ids),
      applied: new Set<string>(),
      reconcile: input.createAttempted === true || this.unknownOutcome.has(input.goldenId),
      verified: new Set<string>(),
      writes: 0,
      mergedAway: [],
      crm: new Map(),
      conflicts: [],
      adopted: [],
    }));
    const settled = new Set<Work>();
    try {
      // maxRounds rounds send; one more plans only, so that what the last round completed settles.
      for (let round = 0; ; round++) {
        const open = works.filter((w) => !settled.has(w) && !w.rejected && !w.retry);
        // A write that got no answer may still be running: its company's look-ups wait it out.
        const now = Date.now();
        const waiting = open.filter((w) => w.reconcile && (w.lookupNotBefore ?? 0) > now);
        const ctx: PlanContext = {
          originator: this.config.originatorId,
          presets,
          mergedContacts: this.config.mergedContacts,
          bulkImport: this.bulkImport,
          adopt: this.config.adopt,
          conflicts: this.config.conflicts,
        };
        const plans = open.filter((w) => !waiting.includes(w)).map((work) => ({ work, ops: planOps(work, ctx) }));
        for (const p of plans)
          if (p.ops.length === 0 && !p.work.needs?.length && !p.work.needsInnCheck && !p.work.needsContactCheck)
            settled.add(p.work);
        const batches = pack(plans, this.config.batchSize, this.bulkImport);
        if (round >= this.config.maxRounds) break;
        const reads = await this.readAhead(plans.map((p) => p.work));
        if (batches.length === 0) {
          if (reads) continue;
          if (waiting.length === 0) break;
          await sleep(Math.min(...waiting.map((w) => w.lookupNotBefore ?? now)) - now);
          continue;
        }
        await this.announceCreates(batches);
        await this.runAll(batches);
      }
    } finally {
      for (const w of works) {
        if (settled.has(w)) this.unknownOutcome.delete(w.input.goldenId);
        else if (w.reconcile || w.createsSent) this.unknownOutcome.add(w.input.goldenId);
      }
    }
    return works.map((w) => this.result(w, settled.has(w)));
  }

  /**
   * Deletes companies and contacts (a company with its requisites and bank details), retrying until
   * the portal answers. Deleting what is already gone is not an error: a replay may repeat it.
   */
  async remove(targets: ReadonlyArray<{ entity: 'company' | 'contact'; id: number }>): Promise<number> {
    for (let i = 0; i < targets.length; i += this.config.batchSize) {
      const part: Record<string, BatchCommand> = {};
      targets.slice(i, i + this.config.batchSize).forEach((t, k) => {
        part[`d${k}`] = { method: `crm.${t.entity}.delete`, params: { id: t.id } };
      });
      await withRetry(() => this.client.batch(part), {
        retries: Number.POSITIVE_INFINITY,
        baseMs: this.config.retryBaseMs,
        maxMs: this.config.retryMaxMs,
        onRetry: (err, attempt, waitMs) =>
          this.log.warn(
            { entities: Object.keys(part).length, attempt, waitMs, err: errorMessage(err) },
            'CRM deletes not confirmed, sending again',
          ),
      });
    }
    return targets.length;
  }

  private async presetIds(): Promise<{ ORG: number; IE: number }> {
    if (this.config.presetIds) return this.config.presetIds;
    this.presets ??= resolvePresets(this.client).catch((err: unknown) => {
      this.presets = undefined;
      throw err;
    });
    return this.presets;
  }

  private async announceCreates(batches: Packed[]): Promise<void> {
    if (!this.deps.onCreateAttempt) return;
    const ids = new Set<string>();
    for (const b of batches)
      for (const op of b.ops)
        if (op.create) ids.add([...b.works].find((w) => op.key.startsWith(w.tag))!.input.goldenId);
    if (ids.size) await this.deps.onCreateAttempt([...ids]);
  }

  /** Sends the round's batches, `concurrency` at a time; a fatal error stops the load after in-flight ones land. */
  private async runAll(batches: Packed[]): Promise<void> {
    let next = 0;
    let fatal: unknown;
    const worker = async (): Promise<void> => {
      while (next < batches.length && fatal === undefined) {
        const b = batches[next++]!;
        try {
          await this.runOne(b);
        } catch (err) {
          fatal = err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency, batches.length) }, worker));
    if (fatal !== undefined) throw fatal;
  }

  private async runOne(b: Packed): Promise<void> {
    const cmds = batchCommands(b);
    for (const w of b.works) if (b.ops.some((o) => o.create && o.key.startsWith(w.tag))) w.createsSent = true;
    let answer;
    try {
      answer = await this.client.batch(cmds);
    } catch (err) {
      if (err instanceof CrmUnifyError && err.code === 'CRM_OUTCOME_UNKNOWN') {
        // Timed out: the portal may still be running the batch, and a look-up sent now could miss
        // creates that land after it. Look up only once the portal must have finished or cut it.
        const running = err.cause instanceof WireError && err.cause.code === 'TIMEOUT';
        const notBefore = running ? Date.now() + this.config.unansweredSettleMs : undefined;
        this.log.warn(
          { companies: b.works.size, err: err.message, lookupInMs: running ? this.config.unansweredSettleMs : 0 },
          'batch outcome unknown; looking up by ORIGIN_ID before re-sending',
        );
        for (const w of b.works) if (b.ops.some((o) => o.write && o.key.startsWith(w.tag))) markUnknown(w, notBefore);
        return;
      }
      if (err instanceof CrmUnifyError && (err.retriable || err.code === 'RETRIES_EXHAUSTED')) {
        for (const w of b.works) w.retry = err;
        return;
      }
      throw err; // credentials, a malformed request: no record can get through
    }
    const outcomes = this.perOp(b, answer.result, answer.errors);
    const failed = new Set([...outcomes].filter(([, o]) => !('value' in o)).map(([k]) => k));
    const owner = (key: string): Work | undefined => [...b.works].find((w) => key.startsWith(w.tag));
    const imported = new Set(b.commands.filter((c) => c.import).flatMap((c) => c.ops.map((o) => o.key)));
    for (const op of b.ops) {
      const w = owner(op.key);
      const o = outcomes.get(op.key);
      if (!w || !o || 'skipped' in o) continue;
      if ('error' in o) applyFailure(w, op, o.error, failed, imported.has(op.key) ? 'crm.item.batchImport' : op.method);
      else applySuccess(w, op, o.value);
    }
  }

  /**
   * Each op's answer: a command's own, or for an item of `crm.item.batchImport` its entry in
   * `items` (an id, or that item's error). An import the portal does not know ran nothing: its
   * items are left unanswered (planned again as `crm.*.add`) and bulk import is switched off.
   */
  private perOp(
    b: Packed,
    result: Record<string, unknown>,
    errors: Record<string, PortalError>,
  ): Map<string, OpOutcome> {
    const out = new Map<string, OpOutcome>();
    for (const c of b.commands) {
      const error = errors[c.key];
      if (!c.import) {
        if (c.key in result) out.set(c.key, { value: result[c.key] });
        else if (error) out.set(c.key, { error });
        continue;
      }
      if (error && unknownMethod(error)) {
        if (this.bulkImport)
          this.log.warn(
            { err: error.error_description },
            'portal has no crm.item.batchImport; creating one command per entity',
          );
        this.bulkImport = false;
        for (const op of c.ops) out.set(op.key, { skipped: true });
        continue;
      }
      const items = (result[c.key] as { items?: unknown[] } | undefined)?.items;
      c.ops.forEach((op, i) => {
        const entry = items?.[i] as
          { item?: { id?: unknown }; error?: unknown; error_description?: unknown } | undefined;
        if (error) out.set(op.key, { error });
        else if (entry?.item?.id !== undefined) out.set(op.key, { value: entry.item.id });
        else if (entry)
          out.set(op.key, {
            error: {
              error: String(entry.error ?? ''),
              error_description: String(entry.error_description ?? 'import failed'),
            },
          });
        // No entry at all: the outcome of that item is unknown.
        else
          out.set(op.key, {
            error: { error: 'INTERNAL_SERVER_ERROR', error_description: 'no answer for this import item' },
          });
      });
    }
    return out;
  }

  /**
   * The round's reads, in bulk across its companies: CRM companies holding the INNs of companies
   * about to be created (adoption), then the current values of entities about to be updated.
   * Returns whether anything was read; a retriable failure hands those companies back for retry.
   */
  private async readAhead(works: readonly Work[]): Promise<boolean> {
    const adopt = works.filter((w) => w.needsInnCheck);
    const people = works.filter((w) => w.needsContactCheck);
    const read = works.filter((w) => w.needs?.length);
    try {
      if (adopt.length) await adoptByInn(this.client, this.config.batchSize, adopt, this.config.originatorId);
      if (people.length) await adoptContactsIn(this.client, this.config.batchSize, people, this.config.originatorId);
      if (read.length) await readCurrent(this.client, this.config.batchSize, read);
    } catch (err) {
      if (!(err instanceof CrmUnifyError && (err.retriable || err.code === 'RETRIES_EXHAUSTED'))) throw err;
      for (const w of [...adopt, ...people, ...read]) w.retry = err;
    }
    return adopt.length + people.length + read.length > 0;
  }

  private result(w: Work, settled: boolean): LoadResult {
    const goldenId = w.input.goldenId;
    // Broad on purpose: true whenever the portal may hold entities the caller's input did not list.
    const createAttempted = w.reconcile || w.createsSent === true || w.input.createAttempted === true;
    if (w.rejected)
      return { goldenId, status: 'rejected', reason: 'CRM_REJECTED', detail: w.rejected, ids: w.ids, createAttempted };
    if (settled) {
      return {
        goldenId,
        status: 'synced',
        hash: w.input.hash,
        ids: w.ids,
        writes: w.writes,
        mergedAway: w.mergedAway,
        conflicts: w.conflicts,
        adopted: w.adopted,
        ...(w.twins ? { twins: w.twins } : {}),
      };
    }
    const error =
      w.retry ??
      new CrmUnifyError('CRM_UNAVAILABLE', `not settled after ${this.config.maxRounds} rounds`, { retriable: true });
    this.log.warn({ err: errorMessage(error) }, 'company not settled; hand back for retry');
    return { goldenId, status: 'retry', error, ids: w.ids, createAttempted };
  }
}

/** A command's answer; `skipped`: it did not run and nothing depends on its outcome. */
type OpOutcome = { value: unknown } | { error: PortalError } | { skipped: true };

const unknownMethod = (e: PortalError): boolean =>
  e.error === 'ERROR_METHOD_NOT_FOUND' || /method not found/i.test(e.error_description);
