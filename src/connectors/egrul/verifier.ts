import { withRetry } from '../../core/retry.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { Outcome } from '../../model/index.js';
import { isFresh, ttlFromConfig, type CacheTtl, type RegistryCache } from './cache.js';
import type { EgrulConfig } from './config.js';
import type { RegistryLookup } from './dadata-client.js';
import { toRegistryStatus, verdict, type RegistryStatus } from './status.js';
import pLimit, { type LimitFunction } from 'p-limit';
import { RateLimiter } from '../../core/rate-limiter.js';

export interface VerifierDeps {
  client: RegistryLookup;
  cache?: RegistryCache;
  metrics?: Metrics;
  logger?: Logger;
  now?: () => number;
}

/**
 * The verify stage's engine: cache first (a replay makes zero register calls), then one bounded,
 * rate-limited, retried look-up per INN. Concurrent asks for the same INN share one request.
 * Retries are unlimited by default, and a caller waits on a full semaphore, so an outage holds
 * records upstream (backpressure) and never turns them into EGRUL_NOT_FOUND.
 */
export class EgrulVerifier {
  private readonly bucket: RateLimiter;
  private readonly slots: LimitFunction;
  private readonly ttl: CacheTtl;
  private readonly inFlight = new Map<string, Promise<RegistryStatus>>();
  private readonly stop = new AbortController();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    private readonly config: EgrulConfig,
    private readonly deps: VerifierDeps,
  ) {
    // Without a burst, the limiter's default: one second of rate.
    this.bucket = new RateLimiter(config.rate, config.burst);
    this.slots = pLimit(config.concurrency);
    this.ttl = ttlFromConfig(config);
    this.log = deps.logger ?? silentLogger;
    this.now = deps.now ?? Date.now;
  }

  /** ACTIVE → accepted; REORGANIZING → accepted with a warning; otherwise a reason-coded reject. */
  async verify(inn: string): Promise<Outcome<RegistryStatus>> {
    return verdict(await this.lookup(inn));
  }

  async lookup(inn: string): Promise<RegistryStatus> {
    const cached = await this.deps.cache?.get(inn);
    if (cached && isFresh(cached, this.now(), this.ttl)) {
      this.countCache('hit');
      return cached.status;
    }
    this.countCache(cached ? 'expired' : 'miss');
    const pending = this.inFlight.get(inn);
    if (pending) return pending;
    const fresh = this.fetch(inn).finally(() => this.inFlight.delete(inn));
    this.inFlight.set(inn, fresh);
    return fresh;
  }

  /**
   * Asks the register again, whatever the cache holds, and leaves the cache alone: the caller
   * (register refresh) stores the answer in one batch with the change it found, so a crash between
   * the two cannot hide a change. Same rate, concurrency and retries as any look-up.
   */
  async recheck(inn: string): Promise<RegistryStatus> {
    return this.fetch(inn, false);
  }

  /** Stops retry loops (shutdown); look-ups in progress reject with an AbortError. */
  close(): void {
    this.stop.abort();
  }

  get requestsInFlight(): number {
    return this.slots.activeCount;
  }

  private async fetch(inn: string, cache = true): Promise<RegistryStatus> {
    const signal = this.stop.signal;
    const suggestions = await this.slots(() =>
      withRetry(
        async () => {
          const waited = await this.bucket.take();
          if (waited > 1) this.deps.metrics?.throttled.inc({ api: 'egrul', kind: 'local' });
          return this.deps.client.findParty(inn, signal);
        },
        {
          retries: this.config.retries ?? Number.POSITIVE_INFINITY,
          baseMs: this.config.retryBaseMs,
          maxMs: this.config.retryMaxMs,
          signal,
          onRetry: (err, attempt, waitMs) => {
            if ((err as { code?: string }).code === 'REGISTRY_RATE_LIMITED')
              this.deps.metrics?.throttled.inc({ api: 'egrul', kind: 'remote' });
            // Debug: an outage makes one line per look-up and attempt; the service reports it once,
            // rate-limited, as `registry:egrul` backing off (runtime/api-health.ts). No INN either way.
            this.log.debug({ attempt, waitMs, err: errorMessage(err) }, 'EGRUL look-up failed, retrying');
          },
        },
      ),
    );
    const status = toRegistryStatus(inn, suggestions);
    if (cache) await this.deps.cache?.put(inn, { status, checkedAt: this.now() });
    return status;
  }

  private countCache(result: 'hit' | 'miss' | 'expired'): void {
    this.deps.metrics?.cache.inc({ cache: 'egrul', result });
  }
}
