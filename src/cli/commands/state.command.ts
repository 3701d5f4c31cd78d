import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { CrmUnifyError } from '../../core/errors.js';
import { getCompanyCommand, statsCommand, withStateStore } from './state.js';
import { migrateState } from '../../state/migrate.js';
import { DEFAULT_CONFIG } from './config.command.js';

/** Where the state store is: --state-dir wins, else the config file's state.dir. */
export async function stateDirOf(opts: { stateDir?: string; config: string }): Promise<string> {
  if (opts.stateDir) return opts.stateDir;
  return (await loadConfigFile(opts.config)).state.dir;
}

/** `crm-unify state stats [--json]`, `crm-unify state get company <inn>` and `crm-unify state migrate`. */
export function stateCommand(program: Command): void {
  const state = program.command('state').description('Inspect the state store (golden records, delivery, rejects)');
  state
    .command('stats')
    .description('Counts by entity and delivery status')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--state-dir <dir>', "state store directory (instead of the config file's)")
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; stateDir?: string; json?: boolean }) => {
      const text = await withStateStore(await stateDirOf(opts), (store) =>
        statsCommand(store, { json: opts.json === true }),
      );
      process.stdout.write(`${text}\n`);
    });
  state
    .command('get')
    .description('A golden record with its provenance, as JSON')
    .argument('<entity>', 'company')
    .argument('<inn>', 'the company INN')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--state-dir <dir>', 'state store directory')
    .action(async (entity: string, inn: string, opts: { config: string; stateDir?: string }) => {
      if (entity !== 'company')
        throw new CrmUnifyError('USAGE', `state get: only "company" is supported, got ${entity}`);
      const out = await withStateStore(await stateDirOf(opts), (store) =>
        getCompanyCommand(store, inn, { json: true }),
      );
      process.stdout.write(`${out.output}\n`);
      if (!out.found) process.exitCode = 1;
    });
  state
    .command('migrate')
    .description(
      'Convert a state directory written by an earlier release to the current format, in place ' +
        '(stop the service first; safe to repeat)',
    )
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--state-dir <dir>', 'state store directory')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; stateDir?: string; json?: boolean }) => {
      const r = await withStateStore(await stateDirOf(opts), (store) => migrateState(store));
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(r)}\n`
          : `state migrated: ${r.companies} companies and ${r.contacts} contacts rewritten without stored provenance, ` +
              `${r.matchKeys} match-key index entries removed${r.companies + r.contacts + r.matchKeys === 0 ? ' (already current)' : ''}\n`,
      );
    });
}
