import pino, { type Logger } from 'pino';
import { scrub, scrubValue } from './secrets.js';

export type { Logger };

/**
 * JSON logs (pino) with secrets masked: known keys are redacted by path, and every string is
 * scrubbed of registered secret values, which catches secrets embedded in URLs and messages.
 */
export function createLogger(
  opts: { level?: string; destination?: pino.DestinationStream; name?: string } = {},
): Logger {
  return pino(
    {
      name: opts.name ?? 'crm-unify',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: {
        paths: [
          'token',
          'password',
          'webhookUrl',
          'authorization',
          '*.token',
          '*.password',
          '*.webhookUrl',
          '*.authorization',
          'headers.authorization',
          '*.headers.authorization',
        ],
        censor: '***',
      },
      formatters: { log: (obj) => scrubValue(obj) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
