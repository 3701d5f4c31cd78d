import { setTimeout as sleep } from 'node:timers/promises';
import { CrmUnifyError, errorMessage } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { backoffDelay } from './retry.js';

/**
 * The one policy for a source or sink whose server cannot be reached: retry with capped
 * exponential back-off and jitter — forever in service mode, for at most `giveUpAfterMs` with
 * `--once` — and say so: a warn line per outage (then at most one per `logEveryMs`, or when the
 * error changes) naming the component, the endpoint, the error code and the next retry; one info
 * line on recovery; the component's state for /healthz. Kafka and MySQL report the same way.
 */
export type ReachState = 'connecting' | 'running' | 'backing-off' | 'failed';

/** Where states go (the service's Health; structurally typed so core imports nothing above it). */
export interface ReachStatusSink {
  set(component: string, state: ReachState, detail?: string): void;
}

export interface ConnectPolicy {
  /** Unreachable this long since the outage began: give up (`--once`). Unset: retry forever. */
  giveUpAfterMs?: number;
  baseMs: number;
  maxMs: number;
  logEveryMs: number;
  logger: Logger;
  status?: ReachStatusSink;
  /** The service's stop: a pending wait ends at once (SHUTDOWN) instead of delaying the exit. */
  signal?: AbortSignal;
  /** The config key that bounds the whole wait, named in the give-up message. */
  giveUpKey?: string;
}

export const defaultConnectPolicy = (logger: Logger = silentLogger): ConnectPolicy => ({
  baseMs: 500,
  maxMs: 15_000,
  logEveryMs: 30_000,
  logger,
});

export interface Target {
  /** Health and metric name, e.g. `source:shop-a.full`. */
  component: string;
  /** The server as shown to operators: secrets already masked. */
  endpoint: string;
  /** The config key (and env variable) that sets the endpoint. */
  setBy: string;
}

export class Reachability {
  private downSince: number | undefined;
  private attempts = 0;
  private lastLogAt = 0;
  private lastLoggedCode = '';
  private suppressed = 0;
  private readonly cancelled = new AbortController();
  private reported: ReachState | undefined;

  constructor(
    readonly target: Target,
    private readonly policy: ConnectPolicy,
  ) {
    this.setStatus('connecting');
  }

  private setStatus(state: ReachState, detail?: string): void {
    this.reported = state;
    this.policy.status?.set(this.target.component, state, detail);
  }

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  /** Runs `fn` until it succeeds; failures `transient` says are an outage are waited out by the policy. */
  async attempt<T>(fn: () => Promise<T>, transient: (err: unknown) => boolean): Promise<T> {
    for (;;) {
      this.throwIfCancelled();
      let result: T;
      try {
        result = await this.unlessCancelled(fn());
      } catch (err) {
        if (!transient(err) || this.isCancelled()) throw err;
        await this.wait(this.down(err));
        continue;
      }
      this.up();
      return result;
    }
  }

  /** The server answered: logs the recovery once, reports running. */
  up(): void {
    if (this.cancelled.signal.aborted) return;
    if (this.downSince !== undefined) {
      this.policy.logger.info(
        { ...this.fields(), downForSec: Math.round((Date.now() - this.downSince) / 1000), attempts: this.attempts },
        `${this.target.component}: reached ${this.target.endpoint} again`,
      );
    }
    this.downSince = undefined;
    this.attempts = 0;
    this.suppressed = 0;
    this.lastLoggedCode = '';
    // Every successful query passes here: report the change, not each success.
    if (this.reported !== 'running') this.setStatus('running');
  }

  /**
   * One failed attempt: reports it and returns how long to wait before the next one; throws
   * SERVICE_UNAVAILABLE once the outage has outlasted `giveUpAfterMs`.
   */
  down(err: unknown): number {
    const now = Date.now();
    this.downSince ??= now;
    this.attempts++;
    const code = errorCode(err);
    if (this.policy.giveUpAfterMs !== undefined && now - this.downSince >= this.policy.giveUpAfterMs) {
      this.setStatus('failed', `${code}: ${errorMessage(err)}`);
      throw this.giveUpError(err, code);
    }
    // The last wait ends at the deadline, so `--once` gives up on time, after one more attempt.
    const left = this.policy.giveUpAfterMs === undefined ? Infinity : this.downSince + this.policy.giveUpAfterMs - now;
    const waitMs = Math.min(backoffDelay(this.attempts - 1, this.policy), left);
    this.report(err, code, now, waitMs);
    return waitMs;
  }

  /**
   * A failure seen by a client that retries on its own (kafkajs between fetches): reported like
   * any other — state, rate-limited warn line — but the client decides when to try again.
   */
  observe(err: unknown): void {
    // A closed component (its phase is done) keeps the state its owner gave it.
    if (this.cancelled.signal.aborted) return;
    const now = Date.now();
    this.downSince ??= now;
    this.attempts++;
    this.report(err, errorCode(err), now, undefined);
  }

  private report(err: unknown, code: string, now: number, waitMs: number | undefined): void {
    const detail = `${code}: ${errorMessage(err)}`;
    this.setStatus('backing-off', detail);
    if (this.attempts === 1 || code !== this.lastLoggedCode || now - this.lastLogAt >= this.policy.logEveryMs) {
      this.policy.logger.warn(
        {
          ...this.fields(),
          code,
          err: errorMessage(err),
          attempt: this.attempts,
          ...(waitMs === undefined ? {} : { nextRetryAt: new Date(now + waitMs).toISOString() }),
          ...(this.suppressed ? { failuresSinceLastLine: this.suppressed } : {}),
        },
        `${this.target.component}: cannot reach ${this.target.endpoint} (${code}); retrying`,
      );
      this.lastLogAt = now;
      this.lastLoggedCode = code;
      this.suppressed = 0;
    } else {
      this.suppressed++;
    }
  }

  /** Ends a pending wait (the source is closing); the attempt throws SHUTDOWN. */
  cancel(): void {
    this.cancelled.abort();
  }

  async wait(ms: number): Promise<void> {
    const signals = [this.cancelled.signal, ...(this.policy.signal ? [this.policy.signal] : [])];
    await sleep(ms, undefined, { signal: AbortSignal.any(signals) }).catch(() => {});
    this.throwIfCancelled();
  }

  /** A client that cannot be interrupted (kafkajs connect retries) must not hold up a stop. */
  private unlessCancelled<T>(work: Promise<T>): Promise<T> {
    const signal = AbortSignal.any([this.cancelled.signal, ...(this.policy.signal ? [this.policy.signal] : [])]);
    if (signal.aborted) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        work.catch(() => {});
        reject(
          new CrmUnifyError(
            'SHUTDOWN',
            `${this.target.component}: stopped while connecting to ${this.target.endpoint}`,
          ),
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private isCancelled(): boolean {
    return this.cancelled.signal.aborted || this.policy.signal?.aborted === true;
  }

  private throwIfCancelled(): void {
    if (this.isCancelled())
      throw new CrmUnifyError(
        'SHUTDOWN',
        `${this.target.component}: stopped while waiting for ${this.target.endpoint}`,
      );
  }

  private fields() {
    return { component: this.target.component, endpoint: this.target.endpoint };
  }

  private giveUpError(err: unknown, code: string): CrmUnifyError {
    const { component, endpoint, setBy } = this.target;
    const seconds = Math.round(this.policy.giveUpAfterMs! / 1000);
    const bound = this.policy.giveUpKey ? ` (${this.policy.giveUpKey})` : '';
    return new CrmUnifyError(
      'SERVICE_UNAVAILABLE',
      `${component} could not reach ${endpoint} within ${seconds} s${bound}: tried ${this.attempts} times, last error ${code}: ${errorMessage(err)}. ` +
        `Check that the server is up, or set the endpoint with ${setBy}`,
      { cause: err, details: { component, endpoint, setBy, attempts: this.attempts, lastErrorCode: code } },
    );
  }
}

/** A short, stable code for an error: its own `code` (ECONNREFUSED…) or one in its causes, else its name. */
export function errorCode(err: unknown): string {
  const seen = new Set<unknown>();
  for (
    let e = err as { code?: unknown; cause?: unknown; originalError?: unknown } | undefined;
    e && typeof e === 'object' && !seen.has(e);
    e = (e.cause ?? e.originalError) as typeof e
  ) {
    seen.add(e);
    if (typeof e.code === 'string' && e.code) return e.code;
  }
  return err instanceof Error ? err.name : 'UNKNOWN';
}
