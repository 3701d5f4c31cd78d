import type { ConnectPolicy } from '../core/reachability.js';
import { Reachability, type Target } from '../core/reachability.js';
import type { Metrics } from '../metrics/metrics.js';

/**
 * The HTTP APIs (Bitrix24, the EGRUL register) retry inside their own clients, which every
 * request counts in `crm_unify_api_requests_total` by status. This watcher reads those counts
 * now and then and reports each API through the outage policy: a tick in which requests were
 * made and none got an answer (network error, timeout, gateway 5xx) is an outage; any answer is
 * the API up again. Without traffic nothing changes (an idle API is presumed up).
 */
export interface WatchedApi extends Target {
  /** The `api` label of the counter. */
  api: string;
  /** Statuses that are an answer, not an outage, though 5xx (Bitrix24's 503 is its rate limit). */
  answers?: ReadonlySet<string>;
}

const unanswered = (status: string, answers: ReadonlySet<string> | undefined) =>
  !answers?.has(status) && (status === 'network' || status === 'timeout' || /^5\d\d$/.test(status));

export function watchApis(metrics: Metrics, apis: WatchedApi[], policy: ConnectPolicy, intervalMs = 2000): () => void {
  const watched = apis.map((a) => {
    const reach = new Reachability(a, policy);
    reach.up();
    return { a, reach, seen: { ok: 0, down: 0 }, lastStatus: '' };
  });
  const tick = async () => {
    const { values } = await metrics.apiRequests.get();
    for (const w of watched) {
      const now = { ok: 0, down: 0 };
      let lastDown = '';
      for (const v of values) {
        if (v.labels.api !== w.a.api) continue;
        const status = String(v.labels.status);
        if (unanswered(status, w.a.answers)) {
          now.down += v.value;
          lastDown = status;
        } else {
          now.ok += v.value;
        }
      }
      const ok = now.ok - w.seen.ok;
      const down = now.down - w.seen.down;
      w.seen = now;
      if (ok > 0) {
        if (w.reach.isDown) w.reach.up();
      } else if (down > 0) {
        w.reach.observe(
          Object.assign(new Error(`${down} request(s) to ${w.a.endpoint} got no answer (last: ${lastDown})`), {
            code: lastDown.toUpperCase(),
          }),
        );
      }
    }
  };
  const timer = setInterval(() => void tick().catch(() => {}), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
