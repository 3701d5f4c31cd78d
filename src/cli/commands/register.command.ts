import { Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { loadConfigFile } from '../../config/load.js';
import { Bitrix24Client } from '../../connectors/bitrix24/rest-client.js';
import { DadataClient } from '../../connectors/egrul/dadata-client.js';
import { partyStatuses } from '../../connectors/egrul/status.js';
import { EgrulVerifier } from '../../connectors/egrul/verifier.js';
import { CrmUnifyError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { validateInn } from '../../identifiers/inn.js';
import { createMetrics } from '../../metrics/metrics.js';
import { StateRegistryCache } from '../../pipeline/state-registry-cache.js';
import { listFound, type FoundRecord } from '../../register/not-found.js';
import { listRegisterChanges, RegisterRefresh, type RefreshTarget } from '../../register/refresh.js';
import { StatusField } from '../../register/status-field.js';
import { RegisterSweep } from '../../register/sweep.js';
import { foundLoader } from '../../register/load-found.js';
import { Resolver } from '../../resolve/resolver.js';
import { CrmDelivery } from '../../delivery/crm-delivery.js';
import { DeliveryLedger } from '../../delivery/ledger.js';
import { Bitrix24Loader } from '../../connectors/bitrix24/loader.js';
import { withStateStore } from './state.js';
import { withWritableState } from './writable-state.js';
import type { RegisterChange } from '../../state/records.js';
import type { StateStore } from '../../state/store.js';
import type { AppConfig } from '../../config/schema.js';
import { DEFAULT_CONFIG } from './config.command.js';
import { stateDirOf } from './state.command.js';

const columns = ['at', 'inn', 'from', 'to', 'crmId', 'value', 'crm', 'detail'] as const;

export function formatChanges(rows: readonly RegisterChange[], format: 'csv' | 'json'): string {
  if (format === 'json')
    return `${JSON.stringify(
      rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))),
      null,
      2,
    )}\n`;
  return stringify(
    rows.map((r) => columns.map((c) => r[c] ?? '')),
    { header: true, columns: [...columns] },
  );
}

const foundColumns = ['inn', 'source', 'sourceId', 'position', 'rejectedAt', 'foundAt', 'loaded'] as const;

export function formatFound(rows: readonly FoundRecord[], format: 'csv' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  return stringify(
    rows.map((r) => foundColumns.map((c) => String(r[c] ?? ''))),
    { header: true, columns: [...foundColumns] },
  );
}

/** `--inn` values must be INNs (a typo would be checked, found missing and recorded as a change). */
function targetOf(opts: { inn?: string[]; status?: string }): RefreshTarget {
  if (opts.inn?.length && opts.status)
    throw new CrmUnifyError('USAGE', 'register refresh: give --inn or --status, not both');
  if (opts.inn?.length) {
    const bad = opts.inn.filter((inn) => !validateInn(inn).valid);
    if (bad.length) throw new CrmUnifyError('USAGE', `register refresh: not a valid INN: ${bad.join(', ')}`);
    return { inns: opts.inn };
  }
  if (opts.status) return { status: opts.status };
  throw new CrmUnifyError(
    'USAGE',
    'register refresh: give --inn <inn…> or --status <status> (e.g. --status ACTIVE re-checks every loaded active company)',
  );
}

/**
 * Opens the state store and the two clients, and runs `fn` with a refresh over them at the
 * register's full rate (the service is stopped: nothing else asks the register). `correct`: the
 * sweep's check of the marks of unchanged statuses too.
 */
async function withRefresh<T>(
  opts: { config: string; stateDir?: string },
  fn: (refresh: RegisterRefresh, store: StateStore, config: AppConfig, client: Bitrix24Client) => Promise<T>,
  correct = false,
): Promise<T> {
  const config = await loadConfigFile(opts.config);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  const metrics = createMetrics(undefined, { defaultMetrics: false });
  const dadata = new DadataClient(config.registry, { metrics });
  const client = new Bitrix24Client(config.crm, { metrics, logger });
  try {
    return await withWritableState(config, opts.stateDir ?? config.state.dir, (store) => {
      const verifier = new EgrulVerifier(config.registry, {
        client: dadata,
        cache: new StateRegistryCache(store),
        metrics,
        logger,
      });
      return fn(
        new RegisterRefresh({
          store,
          verifier,
          client,
          field: new StatusField(client, config.crm.registerStatusField),
          batchSize: config.crm.batchSize,
          retry: { baseMs: config.crm.retryBaseMs, maxMs: config.crm.retryMaxMs },
          metrics,
          logger,
          correct,
        }),
        store,
        config,
        client,
      );
    });
  } finally {
    await Promise.all([dadata.close(), client.close()]);
  }
}

/**
 * `crm-unify register refresh [--inn …] [--status S]`, `register sweep`, `register changes [--since
 * ISO] [--format csv|json]` and `register found [--format csv|json]`: check companies in the
 * register again now (or run the service's sweep once), list the statuses that changed and what
 * the CRM was told, and the not-found rejects the register lists now. Refresh and sweep open the
 * state store, so they run while the service is stopped (LevelDB has one writer).
 */
export function registerCommand(program: Command): void {
  const register = program
    .command('register')
    .description('The state register over time: re-check companies, list status changes');
  register
    .command('refresh')
    .description(
      'Check companies in the register again; mark CRM companies no longer active (status field), clear the mark when active again',
    )
    .option('--inn <inn...>', 'these INNs')
    .addOption(
      new Option('--status <status>', 'every loaded company whose cached register status is this').choices([
        ...partyStatuses,
      ]),
    )
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--state-dir <dir>', "state store directory (instead of the config file's)")
    .action(async (opts: { inn?: string[]; status?: string; config: string; stateDir?: string }) => {
      const target = targetOf(opts);
      const report = await withRefresh(opts, (refresh) => refresh.run(target));
      process.stdout.write(`${JSON.stringify(report)}\n`);
      if (report.failed > 0) process.exitCode = 1;
    });
  register
    .command('sweep')
    .description(
      "Run the service's register sweep once now: loaded companies past registry.cacheTtlDays, then EGRUL_NOT_FOUND rejects on their back-off (a company found is loaded from the record its reject kept)",
    )
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--state-dir <dir>', "state store directory (instead of the config file's)")
    .action(async (opts: { config: string; stateDir?: string }) => {
      const report = await withRefresh(
        opts,
        (refresh, store, config, client) => {
          const resolver = new Resolver(store);
          const ledger = new DeliveryLedger(store, resolver);
          const delivery = new CrmDelivery(
            store,
            ledger,
            new Bitrix24Loader(client, config.crm, { onCreateAttempt: ledger.attempted }),
          );
          return new RegisterSweep({
            store,
            refresh,
            config: config.registry,
            load: foundLoader(resolver, delivery),
          }).pass();
        },
        true,
      );
      process.stdout.write(`${JSON.stringify(report)}\n`);
      if (report.failed > 0) process.exitCode = 1;
    });
  register
    .command('found')
    .description(
      'Companies rejected as EGRUL_NOT_FOUND that the register lists now, and whether they are loaded (a reject that kept no record loads when its source record is read again: crm-unify replay)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--state-dir <dir>', 'state store directory')
    .action(async (opts: { format: 'csv' | 'json'; config: string; stateDir?: string }) => {
      const rows = await withStateStore(await stateDirOf(opts), (store) => listFound(store));
      process.stdout.write(formatFound(rows, opts.format));
    });
  register
    .command('changes')
    .description('Register statuses that changed on a re-check, and what the CRM company was told')
    .option('--since <iso>', 'only changes at or after this time (ISO 8601)')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .option('--state-dir <dir>', 'state store directory')
    .action(async (opts: { since?: string; format: 'csv' | 'json'; config: string; stateDir?: string }) => {
      if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since)))
        throw new CrmUnifyError('USAGE', `--since: not an ISO time: ${opts.since}`);
      // keys hold UTC ISO times: a --since with an offset is turned into one before it bounds the range
      const since = opts.since === undefined ? undefined : new Date(opts.since).toISOString();
      const rows = await withStateStore(await stateDirOf(opts), (store) => listRegisterChanges(store, since));
      process.stdout.write(formatChanges(rows, opts.format));
    });
}
