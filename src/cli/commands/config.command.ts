import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { redactUrl } from '../../core/secrets.js';

export const DEFAULT_CONFIG = './crm-unify.yaml';

/** `crm-unify config check [--config F]`: validates the file plus env overrides, all problems at once. */
export function configCommand(program: Command): void {
  const config = program.command('config').description('Inspect the configuration');
  config
    .command('check')
    .description('Validate the config file and environment overrides; print the effective config without secrets')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .action(async (opts: { config: string }) => {
      const cfg = await loadConfigFile(opts.config);
      const shown = {
        ...cfg,
        crm: { ...cfg.crm, webhookUrl: redactUrl(cfg.crm.webhookUrl) },
        registry: { ...cfg.registry, token: '***' },
        sources: {
          ...cfg.sources,
          ...(cfg.sources.shopA ? { shopA: { ...cfg.sources.shopA, mysql: redactUrl(cfg.sources.shopA.mysql) } } : {}),
        },
      };
      process.stdout.write(`${opts.config}: ok\n${JSON.stringify(shown, null, 2)}\n`);
    });
}
