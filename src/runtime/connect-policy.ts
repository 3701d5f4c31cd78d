import type { AppConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { ConnectPolicy } from '../core/reachability.js';
import type { Health } from '../metrics/health.js';

/**
 * The service's outage policy from `runtime`: a continuous run waits for its servers forever
 * (a broker or database that is not up yet is normal beside Kafka); `--once` gives up after
 * `runtime.connectTimeoutMs`. States go to /healthz, waits end at once on a stop.
 */
export function serviceConnectPolicy(
  runtime: AppConfig['runtime'],
  o: { once: boolean; logger: Logger; health: Health; stop: AbortSignal },
): ConnectPolicy {
  return {
    ...(o.once
      ? { giveUpAfterMs: runtime.connectTimeoutMs, giveUpKey: `runtime.connectTimeoutMs = ${runtime.connectTimeoutMs}` }
      : {}),
    baseMs: runtime.connectRetryBaseMs,
    maxMs: runtime.connectRetryMaxMs,
    logEveryMs: 30_000,
    logger: o.logger,
    status: { set: (component, state, detail) => o.health.reach(component, state, detail) },
    signal: o.stop,
  };
}
