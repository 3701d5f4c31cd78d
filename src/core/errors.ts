/**
 * The one errors module: a closed list of codes and a base class carrying `code`, `cause` and
 * `retriable`. Programmer mistakes stay plain TypeErrors and are never retried.
 */
export const errorCodes = [
  // configuration and usage
  'CONFIG_INVALID',
  'USAGE',
  // services the process depends on
  'SERVICE_UNAVAILABLE',
  'SOURCE_READ_FAILED',
  'SOURCE_STRUCTURE_BROKEN',
  /** A followed table's structure changed under a change stream (DDL in the binlog). */
  'SOURCE_SCHEMA_CHANGED',
  'STATE_STORE_FAILED',
  'STATE_STORE_LOCKED',
  /** The state changelog (HA) cannot be written or read. */
  'CHANGELOG_FAILED',
  // high availability
  /** Another instance took the lease (its producer fenced ours, or our heartbeats lapsed): stop, touch nothing. */
  'INSTANCE_FENCED',
  // external APIs
  'REGISTRY_UNAUTHORIZED',
  'REGISTRY_UNAVAILABLE',
  'REGISTRY_RATE_LIMITED',
  'CRM_UNAUTHORIZED',
  'CRM_UNAVAILABLE',
  'CRM_RATE_LIMITED',
  'CRM_COMMAND_FAILED',
  'CRM_OUTCOME_UNKNOWN',
  // record-level (become rejects, never stop the pipeline)
  'RECORD_REJECTED',
  // runtime
  'RETRIES_EXHAUSTED',
  'TOPOLOGY_FAILED',
  'SHUTDOWN',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface CrmUnifyErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  details?: Record<string, unknown>;
}

export class CrmUnifyError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: CrmUnifyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CrmUnifyError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }
}

/** A config or usage problem: every issue found, reported at once. */
export class ConfigError extends CrmUnifyError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options: CrmUnifyErrorOptions = {}) {
    super(
      'CONFIG_INVALID',
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i}`).join('\n'),
      options,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A transient failure that asks the caller to wait before trying again. */
export class BackOffError extends CrmUnifyError {
  readonly waitMs: number;
  constructor(code: ErrorCode, message: string, waitMs: number, options: CrmUnifyErrorOptions = {}) {
    super(code, message, { ...options, retriable: true });
    this.name = 'BackOffError';
    this.waitMs = waitMs;
  }
}

const unrecoverable = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']);

/** Whether an error may be retried: only ours marked so, and common transient network errors. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof CrmUnifyError) return err.retriable;
  if (err instanceof Error && unrecoverable.has(err.name)) return false;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && transientNetworkCodes.has(code);
}

const transientNetworkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
]);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
