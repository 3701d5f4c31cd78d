import { setTimeout as sleep } from 'node:timers/promises';
import type { Bitrix24Loader } from '../connectors/bitrix24/loader.js';
import type { Bitrix24Client, BatchCommand } from '../connectors/bitrix24/rest-client.js';
import { withRetry } from '../core/retry.js';
import type { CrmIds as LoaderIds, LoadResult } from '../connectors/bitrix24/types.js';
import { backoffDelay } from '../core/retry.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Resolver } from '../resolve/resolver.js';
import type { CrmIds, GoldenCompanyState, GoldenContactState } from '../state/records.js';
import type { StateStore } from '../state/store.js';
import { toLoaderInput, type DeliveryMemo } from './golden-to-crm.js';

export interface DeliveryOutcome {
  inn: string;
  status: 'synced' | 'unchanged' | 'rejected' | 'skipped';
  detail?: string;
  writes: number;
}

type Memo = CrmIds & { delivery?: DeliveryMemo };

/**
 * Delivers golden companies (with their contacts) to the CRM and only then marks them synced —
 * the dedup state never says "done" before the CRM confirmed. Unsettled loads (portal outage,
 * retries exhausted) are retried here with backoff, so an outage holds records rather than
 * losing them; a refused record comes back as `rejected` for the caller to reject.
 */
export class CrmDelivery {
  private readonly log: Logger;
  private readonly locks = new Map<string, Promise<void>>();
  constructor(
    private readonly store: StateStore,
    private readonly resolver: Resolver,
    private readonly loader: Bitrix24Loader,
    private readonly client: Bitrix24Client,
    opts: { logger?: Logger } = {},
  ) {
    this.log = opts.logger ?? silentLogger;
  }

  /** Persists "creates sent, outcome unknown" before they are sent (the loader awaits this). */
  readonly onCreateAttempt = async (inns: string[]): Promise<void> => {
    const memos = await this.store.getMany('crmIds', inns);
    await this.store.batch(inns.map((inn, i) => {
      const m = (memos[i] ?? {}) as Memo;
      const delivery: DeliveryMemo = { hash: m.delivery?.hash ?? null, ids: m.delivery?.ids ?? null, createAttempted: true };
      return { type: 'put' as const, ns: 'crmIds' as const, key: inn, value: { ...m, delivery } as CrmIds };
    }));
  };

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
      return await this.deliverLocked(unique);
    } finally {
      for (const inn of unique) if (this.locks.get(inn) === held) this.locks.delete(inn);
      release();
    }
  }

  private async deliverLocked(unique: string[]): Promise<DeliveryOutcome[]> {
    const [companies, memos] = await Promise.all([this.store.getMany('companies', unique), this.store.getMany('crmIds', unique)]);
    // Contacts the CRM holds that a company no longer lists (emptied by a source delete) must
    // leave the CRM as well: the id map is where they are still known. All contacts of the round
    // are read in one go rather than company by company.
    const wanted = unique.map((_, i) => {
      const listedIds = new Set(companies[i]?.contactIds ?? []);
      const strayIds = Object.keys((memos[i] as Memo | undefined)?.delivery?.ids?.contacts ?? {}).filter((id) => !listedIds.has(id));
      return { listedIds: companies[i]?.contactIds ?? [], strayIds };
    });
    const contactStates = new Map<string, GoldenContactState>();
    const allIds = [...new Set(wanted.flatMap((w) => [...w.listedIds, ...w.strayIds]))];
    (await this.store.getMany('contacts', allIds)).forEach((c, k) => { if (c) contactStates.set(allIds[k]!, c); });
    const states = (ids: readonly string[]) => ids.map((id) => contactStates.get(id)).filter((c): c is GoldenContactState => c !== undefined);

    const out: DeliveryOutcome[] = [];
    const work: Array<{ company: GoldenCompanyState; contacts: GoldenContactState[]; memo: Memo | undefined }> = [];
    for (let i = 0; i < unique.length; i++) {
      const company = companies[i];
      const inn = unique[i]!;
      if (!company) { out.push({ inn, status: 'skipped', detail: 'no golden company', writes: 0 }); continue; }
      const memo = memos[i] as Memo | undefined;
      const { listedIds, strayIds } = wanted[i]!;
      const contacts = [...states(listedIds), ...states(strayIds).filter((c) => c.status === 'deleted')];
      const pending = company.delivery === 'pending' || contacts.some((c) => c.delivery === 'pending') ||
        (company.status === 'deleted' && strayIds.length > 0);
      if (!pending) { out.push({ inn, status: 'unchanged', writes: 0 }); continue; }
      if (company.status === 'deleted' || !company.record) {
        const writes = await this.removeFromCrm(memo?.delivery?.ids ?? null);
        await this.markAll(company, contacts, memo, { hash: null, ids: null, createAttempted: false });
        out.push({ inn, status: 'skipped', detail: 'deleted at every source', writes });
        continue;
      }
      work.push({ company, contacts, memo });
    }
    if (work.length === 0) return out;

    let todo = work;
    for (let attempt = 0; todo.length; attempt++) {
      const results = await this.loader.load(todo.map((w) => toLoaderInput(w.company, w.contacts, w.memo?.delivery)));
      const retry: typeof todo = [];
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        const w = todo[i]!;
        if (r.status === 'retry') {
          // Keep what the failed load learned, and look up before creating: some creates may have landed.
          retry.push({ ...w, memo: { ...w.memo, delivery: { hash: w.memo?.delivery?.hash ?? null, ids: r.ids, createAttempted: r.createAttempted || (w.memo?.delivery?.createAttempted ?? false) } } });
          continue;
        }
        out.push(await this.settle(w.company, w.contacts, w.memo, r));
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

  private async settle(company: GoldenCompanyState, contacts: GoldenContactState[], memo: Memo | undefined, r: Exclude<LoadResult, { status: 'retry' }>): Promise<DeliveryOutcome> {
    if (r.status === 'rejected') {
      // Keep what was created (ids) so a later attempt updates instead of creating twins.
      await this.store.batch([{ type: 'put', ns: 'crmIds', key: company.inn, value: { ...memo, delivery: { hash: null, ids: r.ids, createAttempted: r.createAttempted } } as CrmIds }]);
      return { inn: company.inn, status: 'rejected', detail: r.detail, writes: 0 };
    }
    // Contacts no source lists any more (and not merged into another) leave the CRM too.
    const ids = structuredClone(r.ids);
    const gone = contacts.filter((c) => c.status === 'deleted' && ids.contacts[c.id]);
    const removed = await this.crmDelete(gone.map((c) => ['crm.contact.delete', ids.contacts[c.id]!.id] as const));
    for (const c of gone) delete ids.contacts[c.id];
    const delivery: DeliveryMemo = { hash: r.hash, ids, createAttempted: false };
    await this.markAll(company, contacts, memo, delivery);
    return { inn: company.inn, status: 'synced', writes: r.writes + removed };
  }

  /**
   * A company no store has any more leaves the CRM with its contacts (requisites and bank details
   * go with the company). Deleting what is already gone is not an error: a replay may repeat it.
   */
  private removeFromCrm(ids: LoaderIds | null): Promise<number> {
    if (!ids) return Promise.resolve(0);
    return this.crmDelete([
      ...(ids.companyId ? [['crm.company.delete', ids.companyId] as const] : []),
      ...Object.values(ids.contacts).map((c) => ['crm.contact.delete', c.id] as const),
    ]);
  }

  private async crmDelete(entities: ReadonlyArray<readonly [string, number]>): Promise<number> {
    for (let i = 0; i < entities.length; i += 50) {
      const part: Record<string, BatchCommand> = {};
      entities.slice(i, i + 50).forEach(([method, id], k) => { part[`d${k}`] = { method, params: { id } }; });
      await withRetry(() => this.client.batch(part), { retries: Number.POSITIVE_INFINITY, baseMs: 1000, maxMs: 60_000 });
    }
    return entities.length;
  }

  /** All marks go out together so the resolver commits them in one group batch. */
  private async markAll(company: GoldenCompanyState, contacts: GoldenContactState[], memo: Memo | undefined, delivery: DeliveryMemo | undefined): Promise<void> {
    const ids = delivery?.ids;
    const companyIds: Memo = { ...memo, ...(ids?.companyId ? { company: String(ids.companyId) } : {}), ...(delivery ? { delivery } : {}) };
    const marks: Promise<unknown>[] = [this.resolver.markSynced(company.inn, companyIds, company.hash)];
    const mergedIds: string[] = [];
    for (const c of contacts) {
      if (c.delivery !== 'pending') continue;
      const crm = ids?.contacts[c.id]?.id;
      marks.push(this.resolver.markSynced(c.id, crm ? { contact: String(crm) } : {}, c.hash));
      mergedIds.push(...c.mergedFrom.map((m) => m.goldenId));
    }
    const merged = await this.store.getMany('contacts', mergedIds);
    for (const m of merged) if (m?.delivery === 'pending') marks.push(this.resolver.markSynced(m.id, {}, m.hash));
    await Promise.all(marks);
  }
}
