/** Counters for tests and benchmarks: what the portal saw and what it refused. */
export interface PortalCounters {
  /** HTTP requests that reached a method (after auth), `batch` counting once. */
  requests: number;
  /** HTTP requests by top-level method name. */
  byMethod: Record<string, number>;
  /** Method executions: single calls plus every command inside a batch. */
  commands: number;
  /** Executed commands by method name (batch commands included). */
  commandsByMethod: Record<string, number>;
  /** Successful add/update/delete executions, batch commands included; an import counts its created items. */
  writes: number;
  /** Answers by HTTP status (a `lost` answer is never sent, so it is not here). */
  byStatus: Record<string, number>;
  /** 503 QUERY_LIMIT_EXCEEDED from the leaky bucket. */
  queryLimitExceeded: number;
  /** 429 OPERATION_TIME_LIMIT from the operating limit: whole calls plus refused batch commands. */
  operationTimeLimit: number;
  /** Injected faults by kind. */
  faults: { '503': number; '500': number; '429': number; lost: number };
  /** Refused with 401. */
  unauthorized: number;
}

export function newCounters(): PortalCounters {
  return {
    requests: 0,
    byMethod: {},
    commands: 0,
    commandsByMethod: {},
    writes: 0,
    byStatus: {},
    queryLimitExceeded: 0,
    operationTimeLimit: 0,
    faults: { '503': 0, '500': 0, '429': 0, lost: 0 },
    unauthorized: 0,
  };
}

export const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};
