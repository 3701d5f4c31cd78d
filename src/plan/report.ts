import type { CrmEntity } from '../connectors/bitrix24/dry-run-shadow.js';
import type { PlannedWrite } from '../connectors/bitrix24/dry-run-client.js';
import type { DeliveryOutcome } from '../delivery/crm-delivery.js';
import type { RejectReason } from '../model/index.js';

export const entityKinds = ['company', 'requisite', 'bankdetail', 'contact'] as const satisfies readonly CrmEntity[];
export type Action = 'create' | 'adopt' | 'update' | 'delete';

/** One line of the full plan (`--format csv|json`). */
export interface PlanItem {
  action: Action | 'conflict' | 'twins' | 'other';
  entity: string;
  /** The company's INN where known (adoptions, conflicts, twins; creates carrying it). */
  inn?: string;
  /** The CRM id: real for updates, deletes, twins and conflicts; fake (≥ 10^12) for creates. */
  crmId?: number;
  /** Field names sent (creates, updates) or in conflict. */
  fields?: string[];
  /** Field values sent, or for a conflict the CRM's and the source's value. */
  values?: Record<string, unknown>;
  method?: string;
}

export interface PlanReport {
  topologies: string[];
  /** Whether the run started from a copy of the state or from an empty one. */
  state: 'copy' | 'empty';
  read: Record<string, number>;
  counts: Record<(typeof entityKinds)[number], Record<Action, number>>;
  /** Field name → how many updates send it, per entity kind. */
  updatedFields: Record<(typeof entityKinds)[number], Record<string, number>>;
  conflicts: number;
  twins: { inns: number; companies: number };
  rejects: Partial<Record<RejectReason, number>>;
  portal: {
    requests: number;
    commands: number;
    writes: number;
    rate: number;
    batchSize: number;
    byCommandsMin: number;
    byRequestsMin: number;
    minutes: number;
  };
  items: PlanItem[];
}

export interface ReportInput {
  topologies: string[];
  copied: boolean;
  writes: readonly PlannedWrite[];
  outcomes: readonly DeliveryOutcome[];
  summary: { read: Record<string, number>; rejected: Partial<Record<RejectReason, number>> };
  planned: { requests: number; commands: number };
  rate: number;
  batchSize: number;
}

const entityOfRef = (ref: string): CrmEntity | undefined =>
  (({ c: 'company', rq: 'requisite', bd: 'bankdetail', ct: 'contact' }) as const)[ref.split(':')[0] as 'c'] ??
  undefined;

/** The INN a create carries: a company's ORIGIN_ID is its INN, a requisite holds RQ_INN. */
const innOf = (w: PlannedWrite): string | undefined => {
  const f = w.fields ?? {};
  const v = w.entity === 'requisite' ? f.RQ_INN : w.entity === 'company' ? (f.ORIGIN_ID ?? f.originId) : undefined;
  return typeof v === 'string' && /^\d{10}(\d{2})?$/.test(v) ? v : undefined;
};

const round = (n: number): number => Math.round(n * 10) / 10;

/** What a run would do, from the dry run's writes, the deliveries' outcomes and the run's summary. */
export function buildReport(i: ReportInput): PlanReport {
  const counts = Object.fromEntries(
    entityKinds.map((k) => [k, { create: 0, adopt: 0, update: 0, delete: 0 }]),
  ) as PlanReport['counts'];
  const updatedFields = Object.fromEntries(entityKinds.map((k) => [k, {}])) as PlanReport['updatedFields'];
  const items: PlanItem[] = [];
  for (const w of i.writes) {
    const fields = w.fields ? Object.keys(w.fields) : undefined;
    const inn = innOf(w);
    if (w.entity && w.op !== 'other') {
      counts[w.entity][w.op]++;
      if (w.op === 'update')
        for (const f of fields ?? []) updatedFields[w.entity][f] = (updatedFields[w.entity][f] ?? 0) + 1;
    }
    items.push({
      action: w.op,
      entity: w.entity ?? 'other',
      ...(inn ? { inn } : {}),
      ...(w.crmId !== undefined ? { crmId: w.crmId } : {}),
      ...(fields ? { fields, values: w.fields } : {}),
      method: w.method,
    });
  }
  let conflicts = 0;
  const twins = { inns: 0, companies: 0 };
  for (const o of i.outcomes) {
    for (const ref of o.adopted ?? []) {
      const entity = entityOfRef(ref);
      if (entity) counts[entity].adopt++;
      items.push({ action: 'adopt', entity: entity ?? ref, inn: o.inn });
    }
    for (const c of o.conflicts ?? []) {
      conflicts++;
      items.push({
        action: 'conflict',
        entity: entityOfRef(c.entity) ?? c.entity,
        inn: o.inn,
        crmId: c.crmId,
        fields: [c.field],
        values: { crm: c.crmValue, source: c.sourceValue, kept: c.kept },
      });
    }
    if (o.twins?.length) {
      twins.inns++;
      twins.companies += o.twins.length;
      for (const id of o.twins) items.push({ action: 'twins', entity: 'company', inn: o.inn, crmId: id });
    }
  }
  const writes = i.writes.length;
  const byCommandsMin = i.planned.commands / (i.rate * i.batchSize) / 60;
  const byRequestsMin = i.planned.requests / i.rate / 60;
  return {
    topologies: i.topologies,
    state: i.copied ? 'copy' : 'empty',
    read: i.summary.read,
    counts,
    updatedFields,
    conflicts,
    twins,
    rejects: i.summary.rejected,
    portal: {
      requests: i.planned.requests,
      commands: i.planned.commands,
      writes,
      rate: i.rate,
      batchSize: i.batchSize,
      byCommandsMin: round(byCommandsMin),
      byRequestsMin: round(byRequestsMin),
      minutes: round(Math.max(byCommandsMin, byRequestsMin)),
    },
    items,
  };
}
