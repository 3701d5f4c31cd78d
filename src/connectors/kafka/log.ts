import { logLevel, type logCreator } from 'kafkajs';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/**
 * Routes kafkajs' own logging through the service's pino logger: one stream, one shape, secrets
 * scrubbed, `component: "kafkajs"`. Connection failures are the outage policy's to report
 * (component, endpoint, next retry, rate-limited), so kafkajs' line per attempt goes to debug, as
 * do answers it retries as a matter of course (a takeover's CONCURRENT_TRANSACTIONS);
 * any other message is kept at its level at most once per `repeatMs`, repeats go to debug.
 */
export interface KafkaLogOptions {
  repeatMs?: number;
  now?: () => number;
  /** Each connection failure kafkajs reports (it retries on its own): the outage policy's input. */
  onConnectionError?: (err: unknown) => void;
}

export function kafkaLogCreator(logger: Logger, opts: KafkaLogOptions = {}): logCreator {
  const repeatMs = opts.repeatMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const lastAt = new Map<string, number>();
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const {
        message,
        timestamp: _ts,
        logger: _name,
        error,
        stack: _stack,
        ...extra
      } = log as { message: string; timestamp?: string; logger?: string; error?: unknown; stack?: unknown };
      const fields = { namespace, ...extra, ...(error === undefined ? {} : { err: errorMessage(error) }) };
      let method = methodOf(level);
      if (method !== 'debug') {
        const key = `${namespace}|${message}`;
        const t = now();
        const text = `${message} ${error === undefined ? '' : errorMessage(error)}`;
        if (isConnectionNoise(text)) {
          method = 'debug';
          opts.onConnectionError?.(connectionError(text, error));
        } else if (retriedByKafkajs.test(text)) method = 'debug';
        else if (t - (lastAt.get(key) ?? -Infinity) < repeatMs) method = 'debug';
        else lastAt.set(key, t);
        if (lastAt.size > 1000) lastAt.clear();
      }
      child[method](fields, message);
    };
}

function methodOf(level: logLevel): 'error' | 'warn' | 'info' | 'debug' {
  if (level === logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}

const noise =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection error|Connection timeout|Closed connection|Failed to connect|KafkaJSNumberOfRetriesExceeded|KafkaJSConnection|KafkaJSGroupCoordinatorNotFound|KafkaJSBrokerNotFound|Restarting the consumer|coordinator is not available/i;

/**
 * Answers kafkajs retries on its own and that are expected, not faults: CONCURRENT_TRANSACTIONS
 * comes once per HA takeover, while the broker still aborts the fenced writer's transaction. If
 * the retries run out, the write fails and the service reports it in its own words.
 */
const retriedByKafkajs = /another concurrent operation on the same transaction was ongoing/;

/** The error behind a kafkajs log entry, with its socket code when the text names one. */
function connectionError(text: string, error: unknown): Error {
  const code = /\b(E[A-Z]{4,})\b/.exec(text)?.[1];
  return Object.assign(new Error(error === undefined ? text : errorMessage(error)), code ? { code } : {});
}

function isConnectionNoise(text: string): boolean {
  return noise.test(text);
}
