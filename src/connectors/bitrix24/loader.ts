import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { applyFailure, applySuccess } from './apply.js';
import type { Bitrix24Config } from './config.js';
import { pack, type Packed } from './pack.js';
import { markUnknown, planOps, type PlanContext, type Work } from './plan.js';
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

  constructor(private readonly client: Bitrix24Client, private readonly config: Bitrix24Config, private readonly deps: LoaderDeps = {}) {
    this.log = deps.logger ?? silentLogger;
  }

  async load(companies: readonly GoldenCompany[]): Promise<LoadResult[]> {
    const ctx: PlanContext = { originator: this.config.originatorId, presets: await this.presetIds(), mergedContacts: this.config.mergedContacts };
    const works: Work[] = companies.map((input, i) => ({
      tag: `w${i.toString(36)}_`, input, ids: cloneIds(input.synced?.ids), applied: new Set<string>(),
      reconcile: input.createAttempted === true || this.unknownOutcome.has(input.goldenId), verified: new Set<string>(),
      writes: 0, mergedAway: [],
    }));
    const settled = new Set<Work>();
    try {
      // maxRounds rounds send; one more plans only, so that what the last round completed settles.
      for (let round = 0; ; round++) {
        const open = works.filter((w) => !settled.has(w) && !w.rejected && !w.retry);
        // A write that got no answer may still be running: its company's look-ups wait it out.
        const now = Date.now();
        const waiting = open.filter((w) => w.reconcile && (w.lookupNotBefore ?? 0) > now);
        const plans = open.filter((w) => !waiting.includes(w)).map((work) => ({ work, ops: planOps(work, ctx) }));
        for (const p of plans) if (p.ops.length === 0) settled.add(p.work);
        const batches = pack(plans, this.config.batchSize);
        if (round >= this.config.maxRounds) break;
        if (batches.length === 0) {
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
    for (const b of batches) for (const op of b.ops) if (op.create) ids.add([...b.works].find((w) => op.key.startsWith(w.tag))!.input.goldenId);
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
    const cmds: Record<string, BatchCommand> = Object.fromEntries(b.ops.map((o) => [o.key, { method: o.method, params: o.params }]));
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
        this.log.warn({ companies: b.works.size, err: err.message, lookupInMs: running ? this.config.unansweredSettleMs : 0 },
          'batch outcome unknown; looking up by ORIGIN_ID before re-sending');
        for (const w of b.works) if (b.ops.some((o) => o.write && o.key.startsWith(w.tag))) markUnknown(w, notBefore);
        return;
      }
      if (err instanceof CrmUnifyError && (err.retriable || err.code === 'RETRIES_EXHAUSTED')) {
        for (const w of b.works) w.retry = err;
        return;
      }
      throw err; // credentials, a malformed request: no record can get through
    }
    const failed = new Set(Object.keys(answer.errors));
    const owner = (key: string): Work | undefined => [...b.works].find((w) => key.startsWith(w.tag));
    for (const op of b.ops) {
      const w = owner(op.key);
      if (!w) continue;
      if (op.key in answer.result) applySuccess(w, op, answer.result[op.key]);
      else if (answer.errors[op.key]) applyFailure(w, op, answer.errors[op.key]!, failed);
    }
  }

  private result(w: Work, settled: boolean): LoadResult {
    const goldenId = w.input.goldenId;
    // Broad on purpose: true whenever the portal may hold entities the caller's input did not list.
    const createAttempted = w.reconcile || w.createsSent === true || w.input.createAttempted === true;
    if (w.rejected) return { goldenId, status: 'rejected', reason: 'CRM_REJECTED', detail: w.rejected, ids: w.ids, createAttempted };
    if (settled) return { goldenId, status: 'synced', hash: w.input.hash, ids: w.ids, writes: w.writes, mergedAway: w.mergedAway };
    const error = w.retry ?? new CrmUnifyError('CRM_UNAVAILABLE', `not settled after ${this.config.maxRounds} rounds`, { retriable: true });
    this.log.warn({ err: errorMessage(error) }, 'company not settled; hand back for retry');
    return { goldenId, status: 'retry', error, ids: w.ids, createAttempted };
  }
}
