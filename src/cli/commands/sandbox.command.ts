import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { parseFaultSpec, startSandbox } from '../../sandbox/sandbox.js';
import { intOption, positiveNumber } from './options.js';

interface SandboxCliOptions {
  port: number; egrulPort: number; host: string; registry?: string; rate: number; burst: number; faults?: string;
  data?: string; tls?: boolean; cert?: string; key?: string; egrulLatency: number; secret: string; token: string;
}

/** `crm-unify sandbox`: the local Bitrix24 portal and EGRUL emulators, until stopped. */
export function sandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('Run the local Bitrix24 portal emulator and the DaData-compatible EGRUL emulator until stopped')
    .option('--port <port>', 'portal port (0: any free port)', intOption(0, 65535), 8110)
    .option('--egrul-port <port>', 'EGRUL emulator port', intOption(0, 65535), 8111)
    .option('--host <host>', 'interface to bind (loopback unless told otherwise)', '127.0.0.1')
    .option('--registry <file>', 'register file: {"<inn>": {"status", "name", "ogrn", "kpp"}}')
    .option('--rate <r>', 'portal leaky bucket: requests per second', positiveNumber, 2)
    .option('--burst <b>', 'portal leaky bucket: burst', intOption(1), 50)
    .option('--faults <spec>', 'fault injection, e.g. 503=0.05,500=0.01,lost=0.01,latency=20-200')
    .option('--data <file>', 'keep the portal state in this JSON file (default: in memory)')
    .option('--tls', 'serve HTTPS with a self-signed certificate for the host (the official SDK needs https)')
    .option('--cert <file>', 'PEM certificate (with --key) instead of a self-signed one')
    .option('--key <file>', 'PEM private key')
    .option('--egrul-latency <ms>', 'register answer latency', intOption(0), 400)
    .option('--secret <secret>', 'webhook secret the portal accepts', 'sandbox-secret')
    .option('--token <token>', 'DaData token the register accepts', 'sandbox-token')
    .action(async (opts: SandboxCliOptions) => {
      if (opts.faults) {
        try { parseFaultSpec(opts.faults); } catch (err) { throw new CrmUnifyError('USAGE', `--faults: ${errorMessage(err)}`); }
      }
      if (Boolean(opts.cert) !== Boolean(opts.key)) throw new CrmUnifyError('USAGE', '--cert and --key go together');
      const tls = opts.cert && opts.key
        ? { cert: await readFile(opts.cert, 'utf8'), key: await readFile(opts.key, 'utf8') }
        : opts.tls === true;
      const sandbox = await startSandbox({
        port: opts.port, egrulPort: opts.egrulPort, host: opts.host, registry: opts.registry, rate: opts.rate, burst: opts.burst,
        faults: opts.faults, data: opts.data, tls, egrulLatencyMs: opts.egrulLatency, webhookSecret: opts.secret, egrulToken: opts.token,
      });
      process.stdout.write(`${JSON.stringify({ webhookUrl: sandbox.webhookUrl, egrulUrl: sandbox.egrulUrl, egrulToken: sandbox.egrulToken, ...(sandbox.ca ? { ca: sandbox.ca } : {}) }, null, 2)}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sandbox.stop();
    });
}
