import { Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { loadConfigFile } from '../../config/load.js';
import { Bitrix24Client } from '../../connectors/bitrix24/rest-client.js';
import { invalidInnRequisites, type InvalidInnRequisite } from '../../connectors/bitrix24/requisite-scan.js';
import type { CrmFinding } from '../../model/crm-ids.js';
import { withStateStore } from './state.js';
import type { StateStore } from '../../state/store.js';
import { DEFAULT_CONFIG } from './config.command.js';
import { stateDirOf } from './state.command.js';

type Format = 'csv' | 'json' | 'table';

const conflictColumns = ['inn', 'entity', 'crmId', 'field', 'crmValue', 'sourceValue', 'kept', 'at'] as const;
const twinColumns = ['inn', 'adoptedId', 'twinIds', 'at'] as const;

async function findings(store: StateStore, kind: CrmFinding['kind']): Promise<CrmFinding[]> {
  const out: CrmFinding[] = [];
  for await (const [, v] of store.iterate('crmFindings', { prefix: `${kind}|` })) out.push(v);
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/** Rows as a table, CSV or JSON; list values are joined with spaces in CSV and tables. */
export function formatFindings(
  findings: ReadonlyArray<CrmFinding | InvalidInnRequisite>,
  columns: readonly string[],
  format: Format,
): string {
  const rows = findings as ReadonlyArray<object> as ReadonlyArray<Record<string, unknown>>;
  const cell = (v: unknown): string =>
    Array.isArray(v) ? v.join(' ') : v === undefined || v === null ? '' : String(v);
  if (format === 'json')
    return `${JSON.stringify(
      rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))),
      null,
      2,
    )}\n`;
  if (format === 'csv')
    return stringify(
      rows.map((r) => columns.map((c) => cell(r[c]))),
      { header: true, columns: [...columns] },
    );
  return rows.map((r) => columns.map((c) => cell(r[c])).join('  ')).join('\n') + (rows.length ? '\n' : '');
}

/**
 * `crm-unify crm conflicts|duplicates|invalid-inn`: what a person should look at in the CRM —
 * managed fields people changed (kept or overwritten per `crm.conflicts`), INNs held by several CRM
 * companies (the oldest adopted, the others to merge by hand), and companies whose requisite INN
 * is invalid (never adopted: read from the portal itself, one request per 50 requisites).
 */
export function crmCommand(program: Command): void {
  const crm = program
    .command('crm')
    .description("What the pipeline found in the CRM: conflicts with people's edits, twin companies");
  const options = (c: Command) =>
    c
      .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json', 'table']).default('table'))
      .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
      .option('--state-dir <dir>', 'state store directory');
  options(
    crm.command('conflicts').description('Managed fields people changed since the pipeline last wrote them'),
  ).action(async (opts: { format: Format; config: string; stateDir?: string }) => {
    const rows = await withStateStore(await stateDirOf(opts), (store) => findings(store, 'conflict'));
    process.stdout.write(formatFindings(rows, conflictColumns, opts.format));
  });
  options(
    crm
      .command('duplicates')
      .description('INNs held by several CRM companies: the adopted one and its twins, to merge'),
  ).action(async (opts: { format: Format; config: string; stateDir?: string }) => {
    const rows = await withStateStore(await stateDirOf(opts), (store) => findings(store, 'twins'));
    process.stdout.write(formatFindings(rows, twinColumns, opts.format));
  });
  crm
    .command('invalid-inn')
    .description(
      'CRM companies whose requisite INN is missing or fails its check digits (read from the portal; never adopted)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json', 'table']).default('table'))
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .action(async (opts: { format: Format; config: string }) => {
      const config = await loadConfigFile(opts.config);
      const client = new Bitrix24Client(config.crm);
      try {
        const rows: InvalidInnRequisite[] = [];
        for await (const r of invalidInnRequisites(client)) rows.push(r);
        process.stdout.write(formatFindings(rows, ['companyId', 'requisiteId', 'inn', 'reason'], opts.format));
      } finally {
        await client.close();
      }
    });
}
