import { Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { rejectReasons, type Reject, type RejectReason } from '../../model/index.js';
import { listRejects } from '../../state/helpers.js';
import { withStateStore } from './state.js';
import { DEFAULT_CONFIG } from './config.command.js';
import { stateDirOf } from './state.command.js';

const columns = ['source', 'sourceId', 'position', 'reason', 'detail', 'at', 'resolved'] as const;

/** A closed reject stays listed, with when and why it was closed (e.g. the register found the company). */
const resolvedText = (r: Reject): string => (r.resolved ? `${r.resolved.at} ${r.resolved.detail}` : '');
const cell = (r: Reject, c: (typeof columns)[number]): string | null =>
  c === 'resolved' ? resolvedText(r) || null : r[c];

export function formatRejects(rows: Reject[], format: 'csv' | 'json' | 'table'): string {
  if (format === 'json')
    return `${JSON.stringify(
      rows.map((r) => Object.fromEntries(columns.map((c) => [c, cell(r, c)]))),
      null,
      2,
    )}\n`;
  if (format === 'csv')
    return stringify(
      rows.map((r) => columns.map((c) => cell(r, c) ?? '')),
      { header: true, columns: [...columns] },
    );
  return (
    rows
      .map(
        (r) =>
          `${r.at}  ${r.reason.padEnd(17)} ${r.source} ${r.sourceId ?? '-'} @${r.position}  ${r.detail}${r.resolved ? `  [resolved ${resolvedText(r)}]` : ''}`,
      )
      .join('\n') + (rows.length ? '\n' : '')
  );
}

/** `crm-unify rejects list|export [--format csv|json] [--reason R]`: the rejects, with source, position and reason. */
export function rejectsCommand(program: Command): void {
  const rejects = program
    .command('rejects')
    .description('List or export rejected records (source, source id, position, reason, detail, time)');
  for (const [name, description, defaultFormat] of [
    ['list', 'Show rejects', 'table'],
    ['export', 'Export rejects', 'csv'],
  ] as const) {
    rejects
      .command(name)
      .description(description)
      .addOption(
        new Option('--format <format>', 'output format').choices(['csv', 'json', 'table']).default(defaultFormat),
      )
      .addOption(new Option('--reason <reason>', 'only this reason').choices(rejectReasons))
      .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10))
      .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
      .option('--state-dir <dir>', 'state store directory')
      .action(
        async (opts: {
          format: 'csv' | 'json' | 'table';
          reason?: RejectReason;
          limit?: number;
          config: string;
          stateDir?: string;
        }) => {
          const rows = await withStateStore(await stateDirOf(opts), async (store) => {
            const out: Reject[] = [];
            for await (const r of listRejects(store, {
              ...(opts.reason ? { reason: opts.reason } : {}),
              ...(opts.limit ? { limit: opts.limit } : {}),
            }))
              out.push(r);
            return out;
          });
          rows.sort((a, b) => a.at.localeCompare(b.at));
          process.stdout.write(formatRejects(rows, opts.format));
        },
      );
  }
}
