import { setTimeout as sleep } from 'node:timers/promises';
import type { Bitrix24Loader } from '../connectors/bitrix24/loader.js';
import type { LoadResult } from '../connectors/bitrix24/types.js';
import { backoffDelay } from '../core/retry.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { CrmConflict, CrmIds, CrmLedgerEntry, DeliveryMemo } from '../model/crm-ids.js';
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

/** A company of a load, with what the load needs to deliver it. */
interface Planned {
  company: GoldenCompanyState;
  contacts: GoldenContactState[];
  memo: DeliveryMemo | undefined;
  entry: CrmLedgerEntry | undefined;
}

/**
 * Delivers golden companies (with their contacts) to the CRM and only then marks them synced —
 * the dedup state never says "done" before the CRM confirmed. Unsettled loads (portal outage,
 * retries exhausted) are retried here with backoff, so an outage holds records rather than
 * losing them; a refused record comes back as `rejected` for the caller to reject.
 */
export class CrmDelivery {
  private readonly log: Logger;
  private readonly onDelivered?: (outcomes: readonly DeliveryOutcome[]) => void;
  /** Companies asked for and not yet in a load, with the promise their callers await. */
  private readonly waiting = new Map<
    string,
    { promise: Promise<DeliveryOutcome>; resolve: (o: DeliveryOutcome) => void; reject: (e: unknown) => void }
  >();
  private readonly inFlight = new Set<string>();
  private running = 0;
  private readonly maxLoads: number;
  private readonly maxCompanies: number;
  private readonly minCompanies: number;
  private readonly gatherMs: number;
  /** When the oldest company now waiting was asked for (a small load waits at most `gatherMs` from then). */
  private waitingSince = 0;
  private gatherTimer: NodeJS.Timeout | undefined;
  constructor(
    private readonly store: StateStore,
    private readonly ledger: DeliveryLedger,
    private readonly loader: Bitrix24Loader,
    opts: {
      logger?: Logger;
      onDelivered?: (outcomes: readonly DeliveryOutcome[]) => void;
      maxLoads?: number;
      maxCompanies?: number;
      minCompanies?: number;
      gatherMs?: number;
    } = {},
  ) {
    this.log = opts.logger ?? silentLogger;
    this.onDelivered = opts.onDelivered;
    this.maxLoads = opts.maxLoads ?? 2;
    this.maxCompanies = opts.maxCompanies ?? 1000;
    this.minCompanies = opts.minCompanies ?? 200;
    this.gatherMs = opts.gatherMs ?? 1000;
  }

  /**
   * Topologies run side by side, each with its own load stage, and ask for deliveries at the same
   * time. Their requests are merged: one load covers every company waiting (up to `maxCompanies`),
   * so the loader's batches fill across topologies instead of each sending part-empty ones. A
   * company is never in two loads at once (both would read the same CRM ids and both create): one
   * asked for again while in flight waits for the next load, which sees the newer state.
   */
  deliver(inns: readonly string[]): Promise<DeliveryOutcome[]> {
    if (this.waiting.size === 0) this.waitingSince = Date.now();
    const waits = [...new Set(inns)].map((inn) => {
      let w = this.waiting.get(inn);
      if (!w) {
        let resolve!: (o: DeliveryOutcome) => void;
        let reject!: (e: unknown) => void;
        const promise = new Promise<DeliveryOutcome>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        this.waiting.set(inn, (w = { promise, resolve, reject }));
      }
      return w.promise;
    });
    this.pump();
    return Promise.all(waits);
  }

  private pump(): void {
    while (this.running < this.maxLoads) {
      const chunk = [...this.waiting.keys()].filter((inn) => !this.inFlight.has(inn)).slice(0, this.maxCompanies);
      if (chunk.length === 0) return;
      // While a load keeps the portal busy, a few companies wait a moment for more: a load of a
      // handful sends part-empty batches, and every request counts against the portal's rate.
      const waitMs = this.waitingSince + this.gatherMs - Date.now();
      if (this.running > 0 && chunk.length < this.minCompanies && waitMs > 0) {
        this.gatherTimer ??= setTimeout(() => {
          this.gatherTimer = undefined;
          this.pump();
        }, waitMs);
        return;
      }
      const handles = chunk.map((inn) => {
        const w = this.waiting.get(inn)!;
        this.waiting.delete(inn);
        this.inFlight.add(inn);
        return w;
      });
      this.waitingSince = Date.now();
      this.running++;
      this.deliverLocked(chunk)
        .then(
          (outcomes) => {
            this.onDelivered?.(outcomes);
            const byInn = new Map(outcomes.map((o) => [o.inn, o]));
            chunk.forEach((inn, i) =>
              handles[i]!.resolve(byInn.get(inn) ?? { inn, status: 'skipped', detail: 'no outcome', writes: 0 }),
            );
          },
          (err: unknown) => {
            for (const h of handles) h.reject(err);
          },
        )
        .finally(() => {
          for (const inn of chunk) this.inFlight.delete(inn);
          this.running--;
          this.pump();
        });
    }
  }

  private async deliverLocked(unique: string[]): Promise<DeliveryOutcome[]> {
    const [companies, entries] = await Promise.all([
      this.store.getMany('companies', unique),
      this.ledger.entries(unique),
    ]);
    const memos = entries.map((e) => e?.delivery);
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
    (await this.store.getMany('contacts', allIds)).forEach((c, k) => {
      if (c) contactStates.set(allIds[k]!, c);
    });
    const states = (ids: readonly string[]) =>
      ids.map((id) => contactStates.get(id)).filter((c): c is GoldenContactState => c !== undefined);

    const out: DeliveryOutcome[] = [];
    const work: Planned[] = [];
    const removed: Planned[] = [];
    for (let i = 0; i < unique.length; i++) {
      const company = companies[i];
      const inn = unique[i]!;
      if (!company) {
        out.push({ inn, status: 'skipped', detail: 'no golden company', writes: 0 });
        continue;
      }
      const memo = memos[i];
      const { listedIds, strayIds } = wanted[i]!;
      const contacts = [...states(listedIds), ...states(strayIds).filter((c) => c.status === 'deleted')];
      const pending =
        company.delivery === 'pending' ||
        contacts.some((c) => c.delivery === 'pending') ||
        (company.status === 'deleted' && strayIds.length > 0);
      if (!pending) {
        out.push({ inn, status: 'unchanged', writes: 0 });
        continue;
      }
      (company.status === 'deleted' || !company.record ? removed : work).push({
        company,
        contacts,
        memo,
        entry: entries[i],
      });
    }
    if (removed.length) out.push(...(await this.removeCompanies(removed)));
    if (work.length === 0) return out;

    let todo = work;
    for (let attempt = 0; todo.length; attempt++) {
      const results = await this.loader.load(todo.map((w) => toLoaderInput(w.company, w.contacts, w.memo)));
      const retry: typeof todo = [];
      const done: Array<{ w: Planned; r: Exclude<LoadResult, { status: 'retry' }> }> = [];
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        const w = todo[i]!;
        if (r.status === 'retry') {
          // Keep what the failed load learned, and look up before creating: some creates may have landed.
          retry.push({
            ...w,
            memo: {
              hash: w.memo?.hash ?? null,
              ids: r.ids,
              createAttempted: r.createAttempted || (w.memo?.createAttempted ?? false),
            },
          });
          continue;
        }
        done.push({ w, r });
      }
      // Contacts no source lists any more leave the CRM, all of the load's in shared batches.
      const gone = done.map(({ w, r }) =>
        r.status === 'synced' ? w.contacts.filter((c) => c.status === 'deleted' && r.ids.contacts[c.id]) : [],
      );
      await this.loader.remove(
        done.flatMap(({ r }, i) => gone[i]!.map((c) => ({ entity: 'contact' as const, id: r.ids.contacts[c.id]!.id }))),
      );
      // Together: their synced marks then share the resolver's group commits instead of one commit each.
      out.push(
        ...(await Promise.all(done.map(({ w, r }, i) => this.settle(w.company, w.contacts, r, w.entry, gone[i]!)))),
      );
      if (retry.length) {
        const wait = backoffDelay(attempt, { baseMs: 1000, maxMs: 60_000 });
        this.log.warn(
          { companies: retry.length, attempt: attempt + 1, waitMs: wait },
          'CRM load not settled, retrying',
        );
        await sleep(wait);
      }
      todo = retry;
    }
    return out;
  }

  private async settle(
    company: GoldenCompanyState,
    contacts: GoldenContactState[],
    r: Exclude<LoadResult, { status: 'retry' }>,
    entry: CrmLedgerEntry | undefined,
    gone: readonly GoldenContactState[],
  ): Promise<DeliveryOutcome> {
    if (r.status === 'rejected') {
      // Keep what was created (ids) so a later attempt updates instead of creating twins.
      await this.ledger.refused(company.inn, { hash: null, ids: r.ids, createAttempted: r.createAttempted });
      return { inn: company.inn, status: 'rejected', detail: r.detail, writes: 0 };
    }
    // `gone`: contacts no source lists any more (and not merged into another), removed from the CRM by the caller.
    // The load's result is this delivery's own (the loader cloned its input): edited in place.
    const ids = r.ids;
    for (const c of gone) {
      delete ids.contacts[c.id];
      delete ids.sent?.[`ct:${c.id}`];
    }
    await this.ledger.synced(company, contacts, { hash: r.hash, ids, createAttempted: false }, entry);
    await this.ledger.findings(company.inn, ids.companyId ?? 0, r.conflicts, r.twins);
    if (r.adopted.length)
      this.log.info(
        { inn: company.inn, crmCompany: ids.companyId, adopted: r.adopted.length },
        'adopted CRM entities people entered',
      );
    if (r.conflicts.length)
      this.log.info(
        { inn: company.inn, fields: r.conflicts.map((c) => `${c.entity}.${c.field}`) },
        'CRM fields changed by people',
      );
    return {
      inn: company.inn,
      status: 'synced',
      writes: r.writes + gone.length,
      ...(r.adopted.length ? { adopted: r.adopted } : {}),
      ...(r.conflicts.length ? { conflicts: r.conflicts } : {}),
      ...(r.twins ? { twins: r.twins } : {}),
    };
  }

  /**
   * Companies no store has any more leave the CRM with their contacts (requisites and bank details
   * go with the company), all of a load's in shared batches.
   */
  private async removeCompanies(removed: readonly Planned[]): Promise<DeliveryOutcome[]> {
    const targets = removed.map(({ memo }) => crmTargets(memo?.ids ?? null));
    await this.loader.remove(targets.flat());
    return Promise.all(
      removed.map(async ({ company, contacts, entry }, i) => {
        await this.ledger.synced(company, contacts, { hash: null, ids: null, createAttempted: false }, entry);
        return {
          inn: company.inn,
          status: 'skipped' as const,
          detail: 'deleted at every source',
          writes: targets[i]!.length,
        };
      }),
    );
  }
}

function crmTargets(ids: CrmIds | null): Array<{ entity: 'company' | 'contact'; id: number }> {
  if (!ids) return [];
  return [
    ...(ids.companyId ? [{ entity: 'company' as const, id: ids.companyId }] : []),
    ...Object.values(ids.contacts).map((c) => ({ entity: 'contact' as const, id: c.id })),
  ];
}
