import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { applyFailure, applySuccess } from './apply.js';
import type { Bitrix24Config } from './config.js';
import { pack, type Packed } from './pack.js';
import { planOps, type PlanContext, type Work } from './plan.js';
import { resolvePresets } from './presets.js';
import type { Bitrix24Client, BatchCommand } from './rest-client.js';
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

/**
 * Delivers golden companies to Bitrix24 in rounds: plan every company's next commands, pack them
 * into batches of up to 50 across companies, send them (a few in flight, paced by the client's
 * bucket), fold the per-command answers back, repeat until nothing is left to send. A batch whose
 * answer was lost sends its companies through an ORIGIN_ID look-up before anything is re-sent.
 */
export class Bitrix24Loader {
  private presets?: Promise<{ ORG: number; IE: number }>;
  private readonly log: Logger;

  constructor(private readonly client: Bitrix24Client, private readonly config: Bitrix24Config, private readonly deps: LoaderDeps = {}) {
    this.log = deps.logger ?? silentLogger;
  }

  async load(companies: readonly GoldenCompany[]): Promise<LoadResult[]> {
    const ctx: PlanContext = { originator: this.config.originatorId, presets: await this.presetIds(), mergedContacts: this.config.mergedContacts };
    const works: Work[] = companies.map((input, i) => ({
      tag: `w${i.toString(36)}_`, input, ids: cloneIds(input.synced?.ids), applied: new Set<string>(),
      reconcile: input.createAttempted === true, writes: 0, mergedAway: [],
    }));
    const settled = new Set<Work>();
    for (let round = 0; round < this.config.maxRounds; round++) {
      const plans = works.filter((w) => !settled.has(w) && !w.rejected && !w.retry).map((work) => ({ work, ops: planOps(work, ctx) }));
      for (const p of plans) if (p.ops.length === 0) settled.add(p.work);
      const batches = pack(plans, this.config.batchSize);
      if (batches.length === 0) break;
      await this.announceCreates(batches);
      await this.runAll(batches);
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
    let answer;
    try {
      answer = await this.client.batch(cmds);
    } catch (err) {
      if (err instanceof CrmUnifyError && err.code === 'CRM_OUTCOME_UNKNOWN') {
        this.log.warn({ companies: b.works.size, err: err.message }, 'batch outcome unknown; looking up by ORIGIN_ID before re-sending');
        for (const w of b.works) if (b.ops.some((o) => o.write && o.key.startsWith(w.tag))) w.reconcile = true;
        return;
      }
      if (err instanceof CrmUnifyError && (err.retriable || err.code === 'RETRIES_EXHAUSTED')) {
        for (const w of b.works) w.retry = err;
        return;
      }
      throw err; // credentials, a malformed request: no record can get through
    }
    for (const w of b.works) if (b.ops.some((o) => o.kind === 'lookup' && o.key.startsWith(w.tag))) w.reconcile = false;
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
    if (w.rejected) return { goldenId, status: 'rejected', reason: 'CRM_REJECTED', detail: w.rejected, ids: w.ids };
    if (settled) return { goldenId, status: 'synced', hash: w.input.hash, ids: w.ids, writes: w.writes, mergedAway: w.mergedAway };
    const error = w.retry ?? new CrmUnifyError('CRM_UNAVAILABLE', `not settled after ${this.config.maxRounds} rounds`, { retriable: true });
    this.log.warn({ err: errorMessage(error) }, 'company not settled; hand back for retry');
    return { goldenId, status: 'retry', error, ids: w.ids };
  }
}
