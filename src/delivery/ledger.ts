import type { CrmConflict, CrmLedgerEntry, DeliveryMemo } from '../model/crm-ids.js';
import type { Resolver } from '../resolve/resolver.js';
import type { GoldenCompanyState, GoldenContactState } from '../state/records.js';
import type { StateOp, StateStore } from '../state/store.js';

/**
 * The one owner of the CRM-id records (`crmIds` namespace): what the CRM holds per golden company
 * (ids, what was last written to each entity, unsettled creates) and the CRM id of each golden
 * contact. Synced marks go through the resolver so they commit in its group batch with the
 * golden records' delivery status.
 */
export class DeliveryLedger {
  constructor(
    private readonly store: StateStore,
    private readonly resolver: Resolver,
  ) {}

  /** The CRM-id records of companies, read once per delivery and handed back to `synced`. */
  async entries(inns: readonly string[]): Promise<Array<CrmLedgerEntry | undefined>> {
    return this.store.getMany('crmIds', inns);
  }

  /** Persists "creates sent, outcome unknown" before they are sent (the loader awaits this). */
  readonly attempted = async (inns: string[]): Promise<void> => {
    const entries = await this.store.getMany('crmIds', inns);
    await this.store.batch(
      inns.map((inn, i) => {
        const e = entries[i] ?? {};
        const delivery: DeliveryMemo = {
          hash: e.delivery?.hash ?? null,
          ids: e.delivery?.ids ?? null,
          createAttempted: true,
        };
        return { type: 'put' as const, ns: 'crmIds' as const, key: inn, value: { ...e, delivery } };
      }),
    );
  };

  /** The CRM refused the company: keep what was created so a later attempt updates instead of twinning. */
  async refused(inn: string, delivery: DeliveryMemo): Promise<void> {
    const e = (await this.store.get('crmIds', inn)) ?? {};
    await this.store.batch([{ type: 'put', ns: 'crmIds', key: inn, value: { ...e, delivery } }]);
  }

  /**
   * The CRM confirmed the company and its pending contacts (or, with `delivery` null ids, their
   * removal): all marks go out together so the resolver commits them in one group batch.
   */
  async synced(
    company: GoldenCompanyState,
    contacts: readonly GoldenContactState[],
    delivery: DeliveryMemo,
    before: CrmLedgerEntry = {},
  ): Promise<void> {
    const ids = delivery.ids;
    const entry: CrmLedgerEntry = {
      ...before,
      ...(ids?.companyId ? { company: String(ids.companyId) } : {}),
      delivery,
    };
    const marks: Promise<unknown>[] = [this.resolver.markSynced(company.inn, entry, company.hash)];
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

  /** Conflicts and twins found by a load, for `crm-unify crm conflicts|duplicates`; a repeat replaces the earlier entry. */
  async findings(
    inn: string,
    adoptedId: number,
    conflicts: readonly CrmConflict[],
    twins: readonly number[] | undefined,
  ): Promise<void> {
    const at = new Date().toISOString();
    const ops: StateOp[] = conflicts.map((c) => ({
      type: 'put',
      ns: 'crmFindings',
      key: `conflict|${inn}|${c.entity}|${c.field}`,
      value: { ...c, at },
    }));
    if (twins?.length) {
      ops.push({
        type: 'put',
        ns: 'crmFindings',
        key: `twins|${inn}`,
        value: { kind: 'twins', inn, adoptedId, twinIds: [...twins], at },
      });
    }
    if (ops.length) await this.store.batch(ops);
  }
}
