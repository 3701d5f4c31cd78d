import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import {
  parseFaultSpec,
  parseOperatingCosts,
  readCrmSeed,
  startSandbox,
  type CrmSeedResult,
  type ParsedCrmSeed,
} from '../../sandbox/sandbox.js';
import { intOption, positiveNumber } from './options.js';

interface SandboxCliOptions {
  port: number;
  egrulPort: number;
  host: string;
  registry?: string;
  rate: number;
  burst: number;
  faults?: string;
  data?: string;
  crmSeed?: string;
  tls?: boolean;
  cert?: string;
  key?: string;
  egrulLatency: number;
  secret: string;
  token: string;
  operatingLimit?: number;
  operatingCost?: string;
  operatingCostDefault?: number;
  operatingBatch: 'nested' | 'batch';
}

function nonNegativeNumber(v: string): number {
  const n = Number(v);
  if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number of seconds, 0 or more');
  return n;
}

function batchAccounting(v: string): 'nested' | 'batch' {
  if (v !== 'nested' && v !== 'batch') throw new InvalidArgumentError('expected nested or batch');
  return v;
}

/** A bad seed file is a usage error naming the bad path (exit 2), before anything starts. */
function readSeed(file: string): ParsedCrmSeed {
  try {
    return readCrmSeed(file);
  } catch (err) {
    throw new CrmUnifyError('USAGE', `--crm-seed: ${errorMessage(err)}`);
  }
}

function seedSummary(seeded: CrmSeedResult | { skipped: string } | undefined): Record<string, unknown> {
  if (!seeded) return {};
  return { crmSeed: 'skipped' in seeded ? { skipped: seeded.skipped } : seeded.counts };
}

/** `crm-unify sandbox`: the local Bitrix24 portal and EGRUL emulators, until stopped. */
export function sandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('Run the local Bitrix24 portal emulator and the DaData-compatible EGRUL emulator until stopped')
    .option('--port <port>', 'portal port (0: any free port)', intOption(0, 65535), 8110)
    .option('--egrul-port <port>', 'EGRUL emulator port', intOption(0, 65535), 8111)
    .option('--host <host>', 'interface to bind (loopback unless told otherwise)', '127.0.0.1')
    .option(
      '--registry <file>',
      'register file: {"<inn>": {"status", "name", "ogrn", "kpp"}}; changed at run time by POST /admin/registry (README)',
    )
    .option('--rate <r>', 'portal leaky bucket: requests per second', positiveNumber, 2)
    .option('--burst <b>', 'portal leaky bucket: burst', intOption(1), 50)
    .option('--faults <spec>', 'fault injection, e.g. 503=0.05,500=0.01,lost=0.01,latency=20-200')
    .option('--data <file>', 'keep the portal state in this JSON file (default: in memory)')
    .option(
      '--crm-seed <file>',
      'start with companies, requisites and contacts people entered (JSON, see README); with --data only into an empty portal',
    )
    .option('--tls', 'serve HTTPS with a self-signed certificate for the host (the official SDK needs https)')
    .option('--cert <file>', 'PEM certificate (with --key) instead of a self-signed one')
    .option('--key <file>', 'PEM private key')
    .option('--egrul-latency <ms>', 'register answer latency', intOption(0), 400)
    .option(
      '--operating-limit <sec>',
      'operating limit per method over 10 minutes, e.g. 480 (default: off)',
      positiveNumber,
    )
    .option(
      '--operating-cost <spec>',
      'seconds charged per call, e.g. crm.item.batchImport=0.4,crm.company.update=0.05',
    )
    .option(
      '--operating-cost-default <sec>',
      'seconds charged per call of any other method (default: measured)',
      nonNegativeNumber,
    )
    .option(
      '--operating-batch <who>',
      'who pays for a batch: nested (each command, the docs) or batch (the outer call)',
      batchAccounting,
      'nested',
    )
    .option('--secret <secret>', 'webhook secret the portal accepts', 'sandbox-secret')
    .option('--token <token>', 'DaData token the register accepts', 'sandbox-token')
    .action(async (opts: SandboxCliOptions) => {
      if (opts.faults) {
        try {
          parseFaultSpec(opts.faults);
        } catch (err) {
          throw new CrmUnifyError('USAGE', `--faults: ${errorMessage(err)}`);
        }
      }
      let costs: Record<string, number> | undefined;
      if (opts.operatingCost) {
        try {
          costs = parseOperatingCosts(opts.operatingCost);
        } catch (err) {
          throw new CrmUnifyError('USAGE', `--operating-cost: ${errorMessage(err)}`);
        }
      }
      const operating = {
        limitSec: opts.operatingLimit,
        costs,
        costSec: opts.operatingCostDefault,
        batchAccounting: opts.operatingBatch,
      };
      if (Boolean(opts.cert) !== Boolean(opts.key)) throw new CrmUnifyError('USAGE', '--cert and --key go together');
      const tls =
        opts.cert && opts.key
          ? { cert: await readFile(opts.cert, 'utf8'), key: await readFile(opts.key, 'utf8') }
          : opts.tls === true;
      const crmSeed = opts.crmSeed ? readSeed(opts.crmSeed) : undefined;
      const sandbox = await startSandbox({
        port: opts.port,
        egrulPort: opts.egrulPort,
        host: opts.host,
        registry: opts.registry,
        rate: opts.rate,
        burst: opts.burst,
        faults: opts.faults,
        operating,
        data: opts.data,
        crmSeed,
        tls,
        egrulLatencyMs: opts.egrulLatency,
        webhookSecret: opts.secret,
        egrulToken: opts.token,
      });
      process.stdout.write(
        `${JSON.stringify({ webhookUrl: sandbox.webhookUrl, egrulUrl: sandbox.egrulUrl, egrulToken: sandbox.egrulToken, ...(sandbox.ca ? { ca: sandbox.ca } : {}), ...seedSummary(sandbox.crmSeed) }, null, 2)}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sandbox.stop();
    });
}
