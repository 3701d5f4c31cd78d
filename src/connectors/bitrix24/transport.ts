import { Agent, request, type Dispatcher } from 'undici';

/** What came back over the wire, before any meaning is given to it. */
export interface WireAnswer {
  status: number;
  /** The parsed JSON body; undefined when the body was not JSON (an HTML error page). */
  body: unknown;
}

/** A request that got no answer; `sent` says whether the portal may have received (and run) it. */
export class WireError extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WireError';
  }
}

/** Failures before a byte of the request left: the portal cannot have run it. */
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * One JSON POST to the portal (docs/bitrix24-rest.md §1: POST with a JSON body, never GET, which
 * leaves the webhook in logs). Errors never quote the URL: it carries the webhook secret.
 */
export class Transport {
  private readonly dispatcher: Dispatcher;
  private readonly owned: boolean;

  constructor(
    private readonly timeoutMs: number,
    connections: number,
    dispatcher?: Dispatcher,
  ) {
    this.owned = !dispatcher;
    this.dispatcher = dispatcher ?? new Agent({ connections, keepAliveTimeout: 4_000 });
  }

  async post(url: string, payload: unknown): Promise<WireAnswer> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.dispatcher,
        signal: timeout,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'crm-unify/0.1' },
        body: JSON.stringify(payload),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: parseJson(text) };
    } catch (err) {
      const code = timeout.aborted
        ? 'TIMEOUT'
        : String((err as { code?: unknown }).code ?? (err as Error).name ?? 'ERROR');
      // A timeout, a reset or a closed socket after the request went out: the portal may have run it.
      const sent = !notSentCodes.has(code);
      const message = timeout.aborted ? `no answer within ${this.timeoutMs} ms` : `connection failed (${code})`;
      throw new WireError(message, sent, code, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.owned) await this.dispatcher.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
