import { Agent, request, type Dispatcher } from 'undici';
import { CrmUnifyError } from '../../core/errors.js';

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
  private readonly base: Dispatcher;
  private readonly dispatcher: Dispatcher;
  private readonly owned: boolean;

  /** `beforeWrite` (the HA fence) runs as each request is written; its throw cancels the request unsent. */
  constructor(
    private readonly timeoutMs: number,
    connections: number,
    dispatcher?: Dispatcher,
    beforeWrite?: () => void,
  ) {
    this.owned = !dispatcher;
    this.base = dispatcher ?? new Agent({ connections, keepAliveTimeout: 4_000 });
    this.dispatcher = beforeWrite ? this.base.compose(checkBeforeWrite(beforeWrite)) : this.base;
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
      if (err instanceof CrmUnifyError) throw err; // refused by beforeWrite: never sent
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
    if (this.owned) await this.base.close();
  }
}

/**
 * An undici interceptor that runs `check` when a request is about to be written to its socket
 * (onRequestStart), not when it is queued: a request that waited for a free connection while
 * the process was stopped is checked after the stop. A throw aborts the request unsent.
 */
function checkBeforeWrite(check: () => void): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) =>
    dispatch(opts, {
      onRequestStart(controller, context) {
        try {
          check();
        } catch (err) {
          controller.abort(err as Error);
          return;
        }
        handler.onRequestStart?.(controller, context);
      },
      onRequestUpgrade: (c, status, headers, socket) => handler.onRequestUpgrade?.(c, status, headers, socket),
      onResponseStart: (c, status, headers, message) => handler.onResponseStart?.(c, status, headers, message),
      onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
      onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
      onResponseError: (c, error) => handler.onResponseError?.(c, error),
    });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
