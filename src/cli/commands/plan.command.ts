import { Option, type Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { routeLibraryOutput } from '../../core/log-routing.js';
import { createLogger } from '../../core/logger.js';
import { formatPlan, type PlanFormat } from '../../plan/format.js';
import { runPlan } from '../../plan/run-plan.js';
import type { CliContext } from '../program.js';
import { DEFAULT_CONFIG } from './config.command.js';

/**
 * `crm-unify plan [topology…] [--config F] [--format table|csv|json]`: what `run --once` would do
 * to the CRM, found by doing it against a scratch copy of the state with the portal's writes
 * answered locally. The plan goes to stdout, logs (ids and counts only) to stderr.
 */
export function planCommand(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description(
      'Dry run against the real portal: what a run would create, adopt, update and delete; writes nothing to the CRM or the state',
    )
    .argument('[topology...]', 'topologies to plan (default: every one the config has sources for)')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .addOption(
      new Option('--format <format>', 'table: counts and a sample; csv/json: every planned item')
        .choices(['table', 'csv', 'json'])
        .default('table'),
    )
    .action(async (names: string[], opts: { config: string; format: PlanFormat }) => {
      const config = await loadConfigFile(opts.config);
      const chosen = names.length
        ? names
        : [...(config.sources.shopA ? ['shop-a'] : []), ...(config.sources.shopB ? ['shop-b'] : [])];
      const logger = createLogger();
      const restoreOutput = routeLibraryOutput(logger);
      try {
        const report = await runPlan({ topologies: ctx.topologies, names: chosen, config, logger });
        process.stdout.write(formatPlan(report, opts.format));
      } finally {
        restoreOutput();
        logger.flush();
      }
    });
}
