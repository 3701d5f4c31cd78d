/**
 * The portal's answer shapes: success `{result, time}`, error `{error, error_description}` with its
 * HTTP status, and PHP's JSON quirks (an empty array is `[]`, never `{}`).
 */

/** A failure with the portal's own status, code and text. Method code throws it; the router renders it. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | number,
    readonly description: string,
  ) {
    super(description);
    this.name = 'RestError';
  }
  toBody(): { error: string | number; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** Method-level validation failures carry an empty code and HTTP 400 (crm.* docs). */
export const badParam = (text: string): RestError => new RestError(400, '', text);

export const systemErrors = {
  noAuth: () => new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  // DOCS HEAD lists 403, the newer revision 401; the brief and field reports use 401.
  invalidCredentials: () => new RestError(401, 'INVALID_CREDENTIALS', 'Invalid request credentials'),
  methodNotFound: () => new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  queryLimit: () => new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  operationTimeLimit: () =>
    new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.'),
  internal: () => new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  batchNotAllowed: () => new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  batchLength: () => new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
};

export interface TimeBlock {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at?: number;
  operating?: number;
}

/** ISO 8601 with the local offset and no milliseconds, as the portal prints dates: 2026-05-14T10:26:32+02:00. */
export function isoWithOffset(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const pad = (n: number): string => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const sign = off >= 0 ? '+' : '-';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
    `${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(off / 60)}:${pad(off % 60)}`
  );
}

export function timeBlock(
  startMs: number,
  finishMs: number,
  processingMs: number,
  operating?: { operating: number; resetAt: number },
): TimeBlock {
  const t: TimeBlock = {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration: (finishMs - startMs) / 1000,
    processing: processingMs / 1000,
    date_start: isoWithOffset(startMs),
    date_finish: isoWithOffset(finishMs),
  };
  if (operating) {
    t.operating_reset_at = operating.resetAt;
    t.operating = operating.operating;
  }
  return t;
}

/**
 * PHP's json_encode of an array: keys exactly 0..n-1 in order give a JSON list, an empty array
 * gives `[]`, anything else an object. Batch sections and findbycomm depend on this.
 */
export function phpArray<T>(entries: ReadonlyArray<readonly [string, T]>): T[] | Record<string, T> {
  if (entries.every(([k], i) => k === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}
