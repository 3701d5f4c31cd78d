import { stringify } from 'csv-stringify/sync';
import { entityKinds, type PlanItem, type PlanReport } from './report.js';

export type PlanFormat = 'table' | 'csv' | 'json';

const SAMPLE = 5;
const labels: Record<(typeof entityKinds)[number], string> = {
  company: 'companies',
  requisite: 'requisites',
  bankdetail: 'bank details',
  contact: 'contacts',
};
const columns = ['action', 'entity', 'inn', 'crmId', 'method', 'fields', 'values'] as const;

const listed = (m: Record<string, number | undefined>): string =>
  Object.entries(m)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** A sample line: what, which, and the values sent (the user asked to see them; logs never get them). */
function sampleLine(it: PlanItem): string {
  const values = it.values
    ? Object.entries(it.values)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' ')
    : '';
  const text = `  ${it.action.padEnd(8)} ${it.entity.padEnd(10)} ${it.crmId ?? ''}${it.inn ? ` inn ${it.inn}` : ''}${values ? `  ${values}` : ''}`;
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function table(r: PlanReport): string {
  const p = r.portal;
  const out = [
    `plan for ${r.topologies.join(' + ')} (${r.state === 'copy' ? 'from a copy of the state' : 'from an empty state'}); nothing was written to the CRM`,
    `read ${Object.values(r.read).reduce((a, b) => a + b, 0)} records${Object.keys(r.read).length ? ` (${listed(r.read)})` : ''}`,
    '',
    `${''.padEnd(14)}${['create', 'adopt', 'update', 'delete'].map((h) => h.padStart(8)).join('')}`,
    ...entityKinds.map(
      (k) =>
        `${labels[k].padEnd(14)}${(['create', 'adopt', 'update', 'delete'] as const).map((a) => String(r.counts[k][a]).padStart(8)).join('')}`,
    ),
    '',
  ];
  for (const k of entityKinds)
    if (Object.keys(r.updatedFields[k]).length) out.push(`updated fields, ${labels[k]}: ${listed(r.updatedFields[k])}`);
  out.push(`conflicts ${r.conflicts} (people's edits: see the sample and --format csv)`);
  out.push(`twins ${r.twins.inns} INNs held by ${r.twins.companies} more CRM companies, left for a person to merge`);
  const rejected = Object.values(r.rejects).reduce((a, b) => a + (b ?? 0), 0);
  out.push(`rejects ${rejected}${rejected ? ` (${listed(r.rejects)})` : ''}`);
  out.push(
    `portal time ≈ ${p.minutes} min: ${p.commands} commands ÷ (${p.rate}/s × ${p.batchSize}) = ${p.byCommandsMin} min; ` +
      `${p.requests} requests (batches) at ${p.rate}/s = ${p.byRequestsMin} min`,
  );
  const kinds = [...new Set(r.items.map((it) => `${it.action} ${it.entity}`))];
  if (kinds.length) out.push('', `sample (up to ${SAMPLE} of each; the full list with --format csv|json):`);
  for (const kind of kinds)
    out.push(
      ...r.items
        .filter((it) => `${it.action} ${it.entity}` === kind)
        .slice(0, SAMPLE)
        .map(sampleLine),
    );
  return `${out.join('\n')}\n`;
}

/** The plan as a summary with samples (table), or every item (csv, json: the report with its items). */
export function formatPlan(r: PlanReport, format: PlanFormat): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (format === 'csv') {
    return stringify(
      r.items.map((it) => [
        it.action,
        it.entity,
        it.inn ?? '',
        it.crmId ?? '',
        it.method ?? '',
        (it.fields ?? []).join(' '),
        it.values ? JSON.stringify(it.values) : '',
      ]),
      { header: true, columns: [...columns] },
    );
  }
  return table(r);
}
