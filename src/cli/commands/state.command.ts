import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { CrmUnifyError } from '../../core/errors.js';
import { restoreFromChangelog } from '../../ha/changelog-restore.js';
import { verifyAgainstChangelog } from '../../ha/changelog-verify.js';
import { changelogOf, formatRestore, formatVerify, getCompanyCommand, statsCommand, withStateStore } from './state.js';
import { migrateState } from '../../state/migrate.js';
import { withWritableState } from './writable-state.js';
import { DEFAULT_CONFIG } from './config.command.js';

/** Where the state store is: --state-dir wins, else the config file's state.dir. */
export async function stateDirOf(opts: { stateDir?: string; config: string }): Promise<string> {
  if (opts.stateDir) return opts.stateDir;
  return (await loadConfigFile(opts.config)).state.dir;
}

/**
 * `crm-unify state stats [--json]`, `crm-unify state get company <inn>`, `crm-unify state migrate`,
 * and, with ha.enabled, `crm-unify state restore` and `crm-unify state verify` (the changelog).
 */
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
      // With HA on, the rewrite goes through the changelog (the standby and a restore see it); a
      // bare --state-dir without a config file is a plain LevelDB directory.
      const config = opts.stateDir && !existsSync(opts.config) ? undefined : await loadConfigFile(opts.config);
      const dir = opts.stateDir ?? config!.state.dir;
      const r = config
        ? await withWritableState(config, dir, (store) => migrateState(store))
        : await withStateStore(dir, (store) => migrateState(store));
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(r)}\n`
          : `state migrated: ${r.companies} companies and ${r.contacts} contacts rewritten without stored provenance, ` +
              `${r.matchKeys} match-key index entries removed${r.companies + r.contacts + r.matchKeys === 0 ? ' (already current)' : ''}\n`,
      );
    });
  state
    .command('restore')
    .description(
      'Build a state directory from the HA changelog alone (a lost disk, no standby); ' +
        'refuses a directory that holds state unless --force (which deletes it first)',
    )
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('-d, --dir <dir>', "state directory to build (default: the config file's state.dir)")
    .option('--force', 'delete the state the directory holds, then restore')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; dir?: string; force?: boolean; json?: boolean }) => {
      const config = await loadConfigFile(opts.config);
      const { kafka, topic } = changelogOf(config, 'state restore');
      const dir = opts.dir ?? config.state.dir;
      const r = await restoreFromChangelog(dir, { kafka, topic, force: opts.force === true });
      process.stdout.write(`${opts.json ? JSON.stringify(r) : formatRestore(r)}\n`);
    });
  state
    .command('verify')
    .description(
      'Compare a state directory with the HA changelog up to the offset it holds: ' +
        'missing, extra and different keys (exit 1 when they differ)',
    )
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('-d, --dir <dir>', "state directory (default: the config file's state.dir)")
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; dir?: string; json?: boolean }) => {
      const config = await loadConfigFile(opts.config);
      const { kafka, topic } = changelogOf(config, 'state verify');
      const dir = opts.dir ?? config.state.dir;
      const r = await withStateStore(dir, (store) => verifyAgainstChangelog(store, { kafka, topic }));
      process.stdout.write(`${opts.json ? JSON.stringify(r) : formatVerify(r, dir)}\n`);
      if (r.missing + r.extra + r.different > 0) process.exitCode = 1;
    });
}
