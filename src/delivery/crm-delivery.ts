import { setTimeout as sleep } from 'node:timers/promises';
import type { Bitrix24Loader } from '../connectors/bitrix24/loader.js';
import type { LoadResult } from '../connectors/bitrix24/types.js';
import { backoffDelay } from '../core/retry.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { CrmConflict, CrmIds, DeliveryMemo } from '../model/crm-ids.js';
import type { GoldenCompanyState, GoldenContactState } from '../state/records.js';
import type { StateStore } from '../state/store.js';
import { toLoaderInput } from './golden-to-crm.js';
import type { DeliveryLedger } from './ledger.js';

export interface DeliveryOutcome {
  inn: string;
  status: 'synced' | 'unchanged' | 'rejected' | 'skipped';
  detail?: string;
  writes: number;
  /** Entity refs adopted from what people entered (`c`, `rq:…`, `bd:…`, `ct:…`). */
  adopted?: string[];
  conflicts?: CrmConflict[];
  /** Other CRM companies with this INN, listed by `crm-unify crm duplicates`. */
  twins?: number[];
}

/**
 * Delivers golden companies (with their contacts) to the CRM and only then marks them synced —
 * the dedup state never says "done" before the CRM confirmed. Unsettled loads (portal outage,
 * retries exhausted) are retried here with backoff, so an outage holds records rather than
 * losing them; a refused record comes back as `rejected` for the caller to reject.
 */
export class CrmDelivery {
  private readonly log: Logger;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly onDelivered?: (outcomes: readonly DeliveryOutcome[]) => void;
  constructor(
    private readonly store: StateStore,
    private readonly ledger: DeliveryLedger,
    private readonly loader: Bitrix24Loader,
    opts: { logger?: Logger; onDelivered?: (outcomes: readonly DeliveryOutcome[]) => void } = {},
  ) {
    this.log = opts.logger ?? silentLogger;
    this.onDelivered = opts.onDelivered;
  }

  /**
   * Topologies run side by side, each with its own load stage, and may touch one company at the
   * same time: two deliveries of one INN would both read the same CRM ids and both create. So a
   * delivery holds every INN it covers until it is done; others wait for those INNs only.
   */
  async deliver(inns: readonly string[]): Promise<DeliveryOutcome[]> {
    const unique = [...new Set(inns)];
    for (;;) {
      const busy = unique.map((inn) => this.locks.get(inn)).filter((p): p is Promise<void> => p !== undefined);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    for (const inn of unique) this.locks.set(inn, held);
    try {
      const outcomes = await this.deliverLocked(unique);
      this.onDelivered?.(outcomes);
      return outcomes;
    } finally {
      for (const inn of unique) if (this.locks.get(inn) === held) this.locks.delete(inn);
      release();
    }
  }

  private async deliverLocked(unique: string[]): Promise<DeliveryOutcome[]> {
    const [companies, memos] = await Promise.all([this.store.getMany('companies', unique), this.ledger.memos(unique)]);
    // Contacts the CRM holds that a company no longer lists (emptied by a source delete) must
    // leave the CRM as well: the id map is where they are still known. All contacts of the round
    // are read in one go rather than company by company.
    const wanted = unique.map((_, i) => {
      const listedIds = new Set(companies[i]?.contactIds ?? []);
      const strayIds = Object.keys(memos[i]?.ids?.contacts ?? {}).filter((id) => !listedIds.has(id));
      return { listedIds: companies[i]?.contactIds ?? [], strayIds };
    });
    const contactStates = new Map<string, GoldenContactState>();
    const allIds = [...new Set(wanted.flatMap((w) => [...w.listedIds, ...w.strayIds]))];
    (await this.store.getMany('contacts', allIds)).forEach((c, k) => { if (c) contactStates.set(allIds[k]!, c); });
    const states = (ids: readonly string[]) => ids.map((id) => contactStates.get(id)).filter((c): c is GoldenContactState => c !== undefined);

    const out: DeliveryOutcome[] = [];
    const work: Array<{ company: GoldenCompanyState; contacts: GoldenContactState[]; memo: DeliveryMemo | undefined }> = [];
    for (let i = 0; i < unique.length; i++) {
      const company = companies[i];
      const inn = unique[i]!;
      if (!company) { out.push({ inn, status: 'skipped', detail: 'no golden company', writes: 0 }); continue; }
      const memo = memos[i];
      const { listedIds, strayIds } = wanted[i]!;
      const contacts = [...states(listedIds), ...states(strayIds).filter((c) => c.status === 'deleted')];
      const pending = company.delivery === 'pending' || contacts.some((c) => c.delivery === 'pending') ||
        (company.status === 'deleted' && strayIds.length > 0);
      if (!pending) { out.push({ inn, status: 'unchanged', writes: 0 }); continue; }
      if (company.status === 'deleted' || !company.record) {
        const writes = await this.removeFromCrm(memo?.ids ?? null);
        await this.ledger.synced(company, contacts, { hash: null, ids: null, createAttempted: false });
        out.push({ inn, status: 'skipped', detail: 'deleted at every source', writes });
        continue;
      }
      work.push({ company, contacts, memo });
    }
    if (work.length === 0) return out;

    let todo = work;
    for (let attempt = 0; todo.length; attempt++) {
      const results = await this.loader.load(todo.map((w) => toLoaderInput(w.company, w.contacts, w.memo)));
      const retry: typeof todo = [];
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        const w = todo[i]!;
        if (r.status === 'retry') {
          // Keep what the failed load learned, and look up before creating: some creates may have landed.
          retry.push({ ...w, memo: { hash: w.memo?.hash ?? null, ids: r.ids, createAttempted: r.createAttempted || (w.memo?.createAttempted ?? false) } });
          continue;
        }
        out.push(await this.settle(w.company, w.contacts, r));
      }
      if (retry.length) {
        const wait = backoffDelay(attempt, { baseMs: 1000, maxMs: 60_000 });
        this.log.warn({ companies: retry.length, attempt: attempt + 1, waitMs: wait }, 'CRM load not settled, retrying');
        await sleep(wait);
      }
      todo = retry;
    }
    return out;
  }

  private async settle(company: GoldenCompanyState, contacts: GoldenContactState[], r: Exclude<LoadResult, { status: 'retry' }>): Promise<DeliveryOutcome> {
    if (r.status === 'rejected') {
      // Keep what was created (ids) so a later attempt updates instead of creating twins.
      await this.ledger.refused(company.inn, { hash: null, ids: r.ids, createAttempted: r.createAttempted });
      return { inn: company.inn, status: 'rejected', detail: r.detail, writes: 0 };
    }
    // Contacts no source lists any more (and not merged into another) leave the CRM too.
    const ids = structuredClone(r.ids);
    const gone = contacts.filter((c) => c.status === 'deleted' && ids.contacts[c.id]);
    const removed = await this.loader.remove(gone.map((c) => ({ entity: 'contact' as const, id: ids.contacts[c.id]!.id })));
    for (const c of gone) { delete ids.contacts[c.id]; delete ids.sent?.[`ct:${c.id}`]; }
    await this.ledger.synced(company, contacts, { hash: r.hash, ids, createAttempted: false });
    await this.ledger.findings(company.inn, r.conflicts, r.twins);
    if (r.adopted.length) this.log.info({ inn: company.inn, crmCompany: ids.companyId, adopted: r.adopted.length }, 'adopted CRM entities people entered');
    if (r.conflicts.length) this.log.info({ inn: company.inn, fields: r.conflicts.map((c) => `${c.entity}.${c.field}`) }, 'CRM fields changed by people');
    return {
      inn: company.inn, status: 'synced', writes: r.writes + removed,
      ...(r.adopted.length ? { adopted: r.adopted } : {}), ...(r.conflicts.length ? { conflicts: r.conflicts } : {}), ...(r.twins ? { twins: r.twins } : {}),
    };
  }

  /** A company no store has any more leaves the CRM with its contacts (requisites and bank details go with the company). */
  private removeFromCrm(ids: CrmIds | null): Promise<number> {
    if (!ids) return Promise.resolve(0);
    return this.loader.remove([
      ...(ids.companyId ? [{ entity: 'company' as const, id: ids.companyId }] : []),
      ...Object.values(ids.contacts).map((c) => ({ entity: 'contact' as const, id: c.id })),
    ]);
  }
}
