import { CrmUnifyError, isRetriable, errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { withRetry } from '../../core/retry.js';
import { redactUrl } from '../../core/secrets.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { Dispatcher } from 'undici';
import { BatchMerger } from './batch-merger.js';
import { classify, isWriteMethod } from './classify.js';
import type { Bitrix24Config } from './config.js';
import { RateLimiter } from '../../core/rate-limiter.js';
import { OperatingBudget, systemClock, type Clock, type OperatingReading } from './operating-budget.js';
import { batchCommand, type BatchCommand, type BatchResult } from './batch-command.js';
import { Transport, WireError } from './transport.js';

export interface CallResult<T = unknown> {
  result: T;
  total?: number;
  next?: number;
  time?: OperatingReading;
}

export type { BatchCommand, BatchResult } from './batch-command.js';

export interface Bitrix24ClientDeps {
  metrics?: Metrics;
  logger?: Logger;
  dispatcher?: Dispatcher;
  /** Time for operating pacing (tests pass a fake clock shared with the sandbox's meter). */
  clock?: Clock;
  /**
   * Asked as each request goes onto the wire; a throw (HA: INSTANCE_FENCED from the lease's
   * fence) cancels it unsent and fails the call without retry.
   */
  beforeRequest?: () => void;
}

/** What one request will run: commands per method, and for a batch which method each key is. */
interface Plan {
  counts: Record<string, number>;
  keys?: Record<string, string>;
}

/**
 * The webhook REST client: `call` and `batch`, a leaky bucket and the operating budget (paced by
 * the `time.operating` the portal reports per method) before every HTTP request, retries
 * for what is safe to repeat (refused requests, reads, connections never made). A write whose
 * answer was lost is not repeated: it surfaces as CRM_OUTCOME_UNKNOWN for the loader to reconcile.
 */
export class Bitrix24Client {
  readonly bucket: RateLimiter;
  /** Per-method server time: ask it `costOf(method)` for what one command costs (learned average). */
  readonly operating: OperatingBudget;
  private readonly transport: Transport;
  private readonly merger: BatchMerger | undefined;
  private readonly log: Logger;
  /** Unix seconds when the oldest operating basket drops out, from the last success. */
  private resetAt = 0;

  constructor(
    private readonly config: Bitrix24Config,
    private readonly deps: Bitrix24ClientDeps = {},
  ) {
    this.bucket = new RateLimiter(config.rate, Math.max(1, config.burst - config.headroom));
    this.operating = new OperatingBudget(
      config.operatingLimitSec,
      config.operatingHeadroomSec,
      deps.clock ?? systemClock,
    );
    this.transport = new Transport(config.timeoutMs, config.concurrency, deps.dispatcher, deps.beforeRequest);
    this.log = (deps.logger ?? silentLogger).child({ portal: redactUrl(config.webhookUrl) });
    this.merger = config.mergeBatches
      ? new BatchMerger((c) => this.sendBatch(c, {}), config.batchSize, config.concurrency)
      : undefined;
  }

  async call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return (await this.callFull<T>(method, params)).result;
  }

  async callFull<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<CallResult<T>> {
    return (await this.send(method, params, isWriteMethod(method), { counts: { [method]: 1 } })) as CallResult<T>;
  }

  /** Sends a batch; while requests queue for the portal, part-empty batches share one (BatchMerger). */
  async batch(commands: Record<string, BatchCommand>, opts: { halt?: boolean } = {}): Promise<BatchResult> {
    if (opts.halt || !this.merger) return this.sendBatch(commands, opts);
    return this.merger.submit(commands);
  }

  private async sendBatch(commands: Record<string, BatchCommand>, opts: { halt?: boolean }): Promise<BatchResult> {
    const keys = Object.keys(commands);
    if (keys.length > this.config.batchSize)
      throw new RangeError(`batch of ${keys.length} commands exceeds ${this.config.batchSize}`);
    const cmd = Object.fromEntries(keys.map((k) => [k, batchCommand(commands[k]!.method, commands[k]!.params)]));
    const write = keys.some((k) => isWriteMethod(commands[k]!.method));
    const plan: Plan = { counts: { batch: 1 }, keys: {} };
    for (const k of keys) {
      const m = commands[k]!.method;
      plan.counts[m] = (plan.counts[m] ?? 0) + 1;
      plan.keys![k] = m;
    }
    const res = await this.send('batch', { halt: opts.halt ? 1 : 0, cmd }, write, plan);
    const r = (res.result ?? {}) as Record<string, unknown>;
    // PHP renders an empty section as [] and a 0..n-1 keyed one as a list: map both back to keys.
    const section = <T>(v: unknown): Record<string, T> =>
      Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i), x as T])) : ((v ?? {}) as Record<string, T>);
    return {
      result: section(r.result),
      errors: section(r.result_error),
      total: section(r.result_total),
      next: section(r.result_next),
    };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private send(method: string, params: Record<string, unknown>, write: boolean, plan: Plan): Promise<CallResult> {
    return withRetry(() => this.attempt(method, params, write, plan), {
      retries: this.config.retries ?? Number.POSITIVE_INFINITY,
      baseMs: this.config.retryBaseMs,
      maxMs: this.config.retryMaxMs,
      retriable: (err) => isRetriable(err) && (err as CrmUnifyError).code !== 'CRM_OUTCOME_UNKNOWN',
      onRetry: (err, attempt, waitMs) =>
        this.log.warn({ method, attempt, waitMs, err: errorMessage(err) }, 'Bitrix24 call failed, retrying'),
    });
  }

  private async attempt(
    method: string,
    params: Record<string, unknown>,
    write: boolean,
    plan: Plan,
  ): Promise<CallResult> {
    const release = this.config.operatingPacing ? await this.operating.acquire(plan.counts) : () => undefined;
    const waited = await this.bucket.take();
    if (waited > 5) this.deps.metrics?.throttled.inc({ api: 'bitrix24', kind: 'local' });
    const started = performance.now();
    let status = 'network';
    try {
      const answer = await this.transport.post(`${this.config.webhookUrl}${method}.json`, params);
      status = String(answer.status);
      const body = answer.body as CallResult | undefined;
      if (answer.status === 200 && body && 'result' in body) {
        if (body.time?.operating_reset_at) this.resetAt = body.time.operating_reset_at;
        this.learn(method, body, plan);
        return body;
      }
      const err = classify(answer.status, answer.body, { write, operationWaitMs: this.operationWait() });
      if (err.code === 'CRM_RATE_LIMITED') {
        if (answer.status === 503) this.bucket.saturate();
        this.deps.metrics?.throttled.inc({ api: 'bitrix24', kind: String(answer.status) });
      }
      throw err;
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      status = err.code === 'TIMEOUT' ? 'timeout' : 'network';
      if (write && err.sent) {
        throw new CrmUnifyError(
          'CRM_OUTCOME_UNKNOWN',
          `portal answer lost (${err.message}); the write may have been applied`,
          { retriable: true, cause: err, details: { method } },
        );
      }
      throw new CrmUnifyError('CRM_UNAVAILABLE', `portal unreachable (${err.message})`, {
        retriable: true,
        cause: err,
      });
    } finally {
      release();
      this.deps.metrics?.apiRequests.inc({ api: 'bitrix24', method, status });
      this.deps.metrics?.apiSeconds.observe({ api: 'bitrix24', method }, (performance.now() - started) / 1000);
    }
  }

  /**
   * Feeds the budget: a single call's `time`; for a batch each command's `result_time[key]`, or the
   * outer `time` when the portal charges the batch as a whole (docs/bitrix24-rest.md §3: the
   * sources differ).
   */
  private learn(method: string, body: CallResult, plan: Plan): void {
    if (!plan.keys || typeof body.time?.operating === 'number') {
      this.operating.observe(method, body.time);
      return;
    }
    const times = (body.result as { result_time?: unknown } | undefined)?.result_time;
    const entries: Array<[string, unknown]> = Array.isArray(times)
      ? times.map((t, i) => [String(i), t])
      : Object.entries(times ?? {});
    for (const [key, t] of entries) {
      const m = plan.keys[key];
      if (m) this.operating.observe(m, t as OperatingReading);
    }
  }

  /** docs/bitrix24-rest.md §3: retry at operating_reset_at from the last success; without one, the configured wait. */
  private operationWait(): number {
    const until = this.resetAt * 1000 - Date.now();
    return until > 0 ? Math.min(until, 600_000) : this.config.operationLimitWaitMs;
  }
}
