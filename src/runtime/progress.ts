import type { Logger } from '../core/logger.js';
import type { RunSummary } from '../pipeline/summary.js';

/**
 * Progress of a long run: a status line (count, rate, ETA when the total is known) on a
 * terminal, a JSON log line otherwise. Returns a stop function.
 */
export function reportProgress(
  summary: RunSummary,
  logger: Logger,
  opts: { total?: () => number | undefined; intervalMs?: number; tty?: boolean } = {},
): () => void {
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const interval = opts.intervalMs ?? (tty ? 1000 : 15_000);
  let last = { at: Date.now(), count: 0 };
  const tick = () => {
    const s = summary.toJSON();
    const now = Date.now();
    const rate = ((s.totalRead - last.count) * 1000) / Math.max(1, now - last.at);
    last = { at: now, count: s.totalRead };
    const total = opts.total?.();
    const eta = total && rate > 0 ? Math.max(0, (total - s.totalRead) / rate) : undefined;
    if (tty) {
      const pct = total ? ` / ${total} (${((100 * s.totalRead) / total).toFixed(1)}%)` : '';
      process.stderr.write(
        `\r${s.totalRead}${pct}  ${rate.toFixed(0)} rec/s  rejected ${s.totalRejected}  synced ${s.delivered.synced}${eta === undefined ? '' : `  ETA ${Math.round(eta)} s`}   `,
      );
    } else {
      logger.info(
        {
          read: s.totalRead,
          ratePerSec: Math.round(rate),
          rejected: s.totalRejected,
          synced: s.delivered.synced,
          ...(eta === undefined ? {} : { etaSec: Math.round(eta) }),
        },
        'progress',
      );
    }
  };
  const timer = setInterval(tick, interval);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write('\n');
  };
}
