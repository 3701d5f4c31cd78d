import type { Command } from 'commander';
import pino from 'pino';
import { loadConfigFile } from '../../config/load.js';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { routeLibraryOutput } from '../../core/log-routing.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { runHighlyAvailable } from '../../ha/role.js';
import { runService } from '../../runtime/service.js';
import { describeTopologies } from '../../runtime/topologies.js';
import { DEFAULT_CONFIG } from './config.command.js';
import { markReported, type CliContext } from '../program.js';

/**
 * `crm-unify run <topology…> [--config F] [--once]`. SIGTERM/SIGINT stop it gracefully: no more
 * reads, in-flight records settle, positions are committed, exit 0 (at once when nothing is in
 * flight); past the shutdown timeout it exits 1 naming how many records were left unsettled
 * (nothing is lost: they are read again on the next start).
 *
 * Output is one stream of pino JSON lines: logs (kafkajs and console output routed in) and a
 * failure on stderr, the run's summary as one line on stdout.
 *
 * With `ha.enabled` (or `--standby`, which turns it on for this run) the instance joins the HA
 * lease: standby while another instance is active, active once it holds the lease
 * (src/ha/role.ts). Fenced, it exits 1 at once without draining: another instance is active.
 */
export function runCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('Run topologies continuously (shop-a, shop-b); --once stops when the sources are drained')
    .argument('<topology...>', 'topologies to run in this process (they share one state store)')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--once', 'stop when the sources are drained (Kafka: caught up to the end offsets seen at start)')
    .option('--describe', "print each topology's sources, stages, sinks and stores, and exit without running")
    .option(
      '--standby',
      'high availability for this run (as ha.enabled: true): stand by while another instance holds the lease, take over when it goes',
    )
    .action(
      async (names: string[], opts: { config: string; once?: boolean; describe?: boolean; standby?: boolean }) => {
        const loaded = await loadConfigFile(opts.config);
        const config = opts.standby ? { ...loaded, ha: { ...loaded.ha, enabled: true } } : loaded;
        if (opts.describe) {
          process.stdout.write(`${describeTopologies(ctx.topologies, names, config, opts.once === true)}\n`);
          return;
        }
        const logger = createLogger();
        const restoreOutput = routeLibraryOutput(logger);
        const stop = new AbortController();
        const onSignal = (signal: string) => {
          if (stop.signal.aborted) return;
          logger.info({ signal }, 'stop requested');
          stop.abort();
        };
        const onTerm = () => onSignal('SIGTERM');
        const onInt = () => onSignal('SIGINT');
        process.once('SIGTERM', onTerm);
        process.once('SIGINT', onInt);
        try {
          const service = {
            topologies: ctx.topologies,
            names,
            config,
            once: opts.once === true,
            logger,
            stop: stop.signal,
            onShutdownTimeout: () => {
              logger.flush();
              process.exit(1);
            },
          };
          const summary = config.ha.enabled
            ? await runHighlyAvailable({ ...service, onFenced: (err) => exitFenced(logger, err) })
            : await runService(service);
          resultLogger().info({ summary }, stop.signal.aborted ? 'stopped' : 'done');
        } catch (err) {
          throw logFailure(logger, err);
        } finally {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          restoreOutput();
        }
      },
    );
}

/**
 * Fenced: another instance is active. Nothing may drain, commit or call the CRM any more, so the
 * process ends here (a supervisor starts it again; it then joins as the standby).
 */
function exitFenced(logger: Logger, err: CrmUnifyError): never {
  logger.error({ code: err.code }, `fenced, exiting without draining: ${err.message}`);
  logger.flush();
  process.exit(1);
}

/** The run's result on stdout, in the same shape as the log lines. */
function resultLogger(): Logger {
  return pino({ name: 'crm-unify' }, process.stdout);
}

/** The failure as one log line (code, component, endpoint, key…), so stderr stays one JSON stream. */
function logFailure(logger: Logger, err: unknown): unknown {
  // Config and usage problems are printed as such (exit 2) by the program.
  if (err instanceof CrmUnifyError && (err.code === 'CONFIG_INVALID' || err.code === 'USAGE')) return err;
  const fields =
    err instanceof CrmUnifyError
      ? { ...err.details, code: err.code }
      : { code: (err as { code?: unknown } | null)?.code };
  logger.error({ ...fields, err }, `run failed: ${errorMessage(err)}`);
  logger.flush();
  return markReported(err);
}
