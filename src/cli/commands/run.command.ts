import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { createLogger } from '../../core/logger.js';
import { describeTopologies, runService } from '../../runtime/service.js';
import { DEFAULT_CONFIG } from './config.command.js';

/**
 * `crm-unify run <topology…> [--config F] [--once]`. SIGTERM/SIGINT stop it gracefully: no more
 * reads, in-flight records settle, positions are committed, exit 0; past the shutdown timeout it
 * exits 1 (nothing is lost: uncommitted records are read again on the next start).
 */
export function runCommand(program: Command): void {
  program
    .command('run')
    .description('Run topologies continuously (shop-a, shop-b); --once stops when the sources are drained')
    .argument('<topology...>', 'topologies to run in this process (they share one state store)')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--once', 'stop when the sources are drained (Kafka: caught up to the end offsets seen at start)')
    .option('--describe', 'print each topology\'s sources, stages, sinks and stores, and exit without running')
    .action(async (names: string[], opts: { config: string; once?: boolean; describe?: boolean }) => {
      const config = await loadConfigFile(opts.config);
      if (opts.describe) {
        process.stdout.write(`${describeTopologies(names, config, opts.once === true)}\n`);
        return;
      }
      const logger = createLogger();
      const stop = new AbortController();
      const onSignal = (signal: string) => {
        if (stop.signal.aborted) return;
        logger.info({ signal }, 'stopping: draining in-flight records');
        stop.abort();
        setTimeout(() => {
          logger.error({ timeoutMs: config.runtime.shutdownTimeoutMs }, 'shutdown timed out; exiting without a full drain');
          process.exit(1);
        }, config.runtime.shutdownTimeoutMs).unref();
      };
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      process.once('SIGINT', () => onSignal('SIGINT'));
      const summary = await runService({ names, config, once: opts.once === true, logger, stop: stop.signal });
      if (!process.stdout.isTTY || opts.once) process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
