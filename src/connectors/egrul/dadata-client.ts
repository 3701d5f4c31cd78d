import { Agent, request, type Dispatcher } from 'undici';
import { BackOffError, CrmUnifyError, errorMessage } from '../../core/errors.js';
import { scrub } from '../../core/secrets.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { EgrulConfig } from './config.js';
import type { PartySuggestion } from './status.js';

export const FIND_PARTY_PATH = '/suggestions/api/4_1/rs/findById/party';
const METHOD = 'findById/party';

/** One register look-up; the verifier owns retries, rate and concurrency. */
export interface RegistryLookup {
  findParty(inn: string, signal?: AbortSignal): Promise<PartySuggestion[]>;
}

export interface DadataClientDeps {
  metrics?: Metrics;
  dispatcher?: Dispatcher;
}

/**
 * DaData `findById/party` (docs/egrul-register.md A1). One attempt per call, every failure
 * classified: 429, 5xx and network errors are retriable (a look-up is a read, always safe to
 * repeat); 401/403 are not — a wrong, unconfirmed or exhausted token will not heal by retrying.
 */
export class DadataClient implements RegistryLookup {
  private readonly endpoint: string;
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly config: EgrulConfig,
    private readonly deps: DadataClientDeps = {},
  ) {
    this.endpoint = new URL(FIND_PARTY_PATH, config.url).toString();
    this.dispatcher = deps.dispatcher ?? new Agent({ connections: config.concurrency, keepAliveTimeout: 30_000 });
  }

  async findParty(inn: string, signal?: AbortSignal): Promise<PartySuggestion[]> {
    // A legal entity: ask for the head organisation only. An IE has no branches; it may have
    // several OGRNIPs over time, so take them all and let pickMain prefer the active one.
    const body = inn.length === 10 ? { query: inn, branch_type: 'MAIN' } : { query: inn };
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const started = performance.now();
    let status = 'network';
    try {
      const res = await request(this.endpoint, {
        method: 'POST',
        dispatcher: this.dispatcher,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Token ${this.config.token}`,
        },
        body: JSON.stringify(body),
      });
      status = String(res.statusCode);
      const text = await res.body.text();
      return parseAnswer(res.statusCode, text, res.headers['retry-after']);
    } catch (err) {
      if (err instanceof CrmUnifyError) throw err;
      if (signal?.aborted) throw err;
      status = timeout.aborted ? 'timeout' : status;
      throw new CrmUnifyError('REGISTRY_UNAVAILABLE', `EGRUL register unreachable: ${scrub(errorMessage(err))}`, {
        cause: err,
        retriable: true,
      });
    } finally {
      this.deps.metrics?.apiRequests.inc({ api: 'egrul', method: METHOD, status });
      this.deps.metrics?.apiSeconds.observe({ api: 'egrul', method: METHOD }, (performance.now() - started) / 1000);
    }
  }

  async close(): Promise<void> {
    if (!this.deps.dispatcher) await this.dispatcher.close();
  }
}

function parseAnswer(status: number, text: string, retryAfter: string | string[] | undefined): PartySuggestion[] {
  if (status === 200) {
    const parsed = safeJson(text) as { suggestions?: unknown } | undefined;
    if (Array.isArray(parsed?.suggestions)) return parsed.suggestions as PartySuggestion[];
    throw new CrmUnifyError('REGISTRY_UNAVAILABLE', 'EGRUL register answered 200 without a suggestions list', {
      retriable: true,
    });
  }
  // DaData's error body may quote the token ("… disabled for token 'XXX'"): scrub, never echo raw.
  const reason = describe(text);
  if (status === 401 || status === 403) {
    throw new CrmUnifyError(
      'REGISTRY_UNAUTHORIZED',
      `EGRUL register refused the API token (HTTP ${status}${reason}): check DADATA_TOKEN, the account's e-mail confirmation and its daily limit`,
      { retriable: false, details: { status } },
    );
  }
  if (status === 429) {
    const waitMs = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) * 1000;
    const msg = `EGRUL register rate limit (HTTP 429${reason})`;
    if (waitMs > 0) throw new BackOffError('REGISTRY_RATE_LIMITED', msg, waitMs, { details: { status } });
    throw new CrmUnifyError('REGISTRY_RATE_LIMITED', msg, { retriable: true, details: { status } });
  }
  // 5xx is the provider's trouble and passes; other 4xx (bad URL, method, body) is ours and will not.
  throw new CrmUnifyError(
    'REGISTRY_UNAVAILABLE',
    `EGRUL register answered HTTP ${status}${reason}${status < 500 ? ' (check egrul.url)' : ''}`,
    { retriable: status >= 500, details: { status } },
  );
}

function describe(text: string): string {
  const body = safeJson(text) as { message?: unknown; reason?: unknown } | undefined;
  const msg = typeof body?.message === 'string' ? body.message : typeof body?.reason === 'string' ? body.reason : '';
  return msg
    ? `: ${scrub(msg)
        .replace(/token\s+'[^']*'/gi, "token '***'")
        .slice(0, 200)}`
    : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
