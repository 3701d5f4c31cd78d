import type { Health } from '../metrics/health.js';
import type { Metrics } from '../metrics/metrics.js';

export const WEDGE_COMPONENT = 'pipeline';

/**
 * Liveness beyond "the process answers": records in flight and none settled for `afterMs`, while
 * every server is reachable (nothing connecting or backing off — an outage explains a stall), is
 * a wedged pipeline. It is reported as the `pipeline` component failed, which turns `/healthz`
 * not live so an orchestrator restarts the process; nothing is lost (unsettled records are read
 * again). Progress clears it.
 */
export function watchWedge(o: {
  metrics: Metrics;
  health: Health;
  afterMs: number;
  intervalMs?: number;
  now?: () => number;
}): () => void {
  const now = o.now ?? Date.now;
  o.health.set(WEDGE_COMPONENT, 'running');
  const check = async () => {
    const inFlight = (await o.metrics.inFlight.get()).values.reduce((n, v) => n + v.value, 0);
    const last = Math.max(0, ...(await o.metrics.lastProgress.get()).values.map((v) => v.value * 1000));
    const waiting = Object.entries(o.health.report().components).some(
      ([name, c]) => name !== WEDGE_COMPONENT && (c.state === 'connecting' || c.state === 'backing-off'),
    );
    const stalledMs = now() - last;
    if (inFlight > 0 && stalledMs >= o.afterMs && !waiting) {
      o.health.set(
        WEDGE_COMPONENT,
        'failed',
        `wedged: ${inFlight} records in flight and none settled for ${Math.round(stalledMs / 1000)} s`,
      );
    } else {
      o.health.set(WEDGE_COMPONENT, 'running');
    }
  };
  const timer = setInterval(() => void check().catch(() => {}), o.intervalMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}
