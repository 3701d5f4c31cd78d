import type { Logger } from '../core/logger.js';

export interface ShutdownWatch {
  stop: AbortSignal;
  timeoutMs: number;
  logger: Logger;
  /** Records read and not yet settled. */
  inFlight: () => Promise<number>;
  /** Past the timeout (the command exits 1). Without it, only the log line. */
  onTimeout?: (() => void) | undefined;
}

/**
 * Says what a stop will do: with nothing in flight the run ends at once; otherwise it drains for
 * up to `timeoutMs`, and past that reports how many records were left unsettled (they are read
 * again on the next start: positions never pass an unsettled record). Returns a disposer.
 */
export function watchShutdown(w: ShutdownWatch): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onStop = () => {
    void w.inFlight().then((n) => {
      w.logger.info(
        { inFlight: n, timeoutMs: w.timeoutMs },
        n ? `stopping: draining ${n} in-flight records` : 'stopping: nothing in flight',
      );
    });
    timer = setTimeout(() => {
      void w.inFlight().then((n) => {
        w.logger.error(
          { unsettled: n, timeoutMs: w.timeoutMs },
          `shutdown timed out after ${w.timeoutMs} ms: ${n} records left unsettled (they are read again on the next start)`,
        );
        w.onTimeout?.();
      });
    }, w.timeoutMs);
    timer.unref();
  };
  if (w.stop.aborted) onStop();
  else w.stop.addEventListener('abort', onStop, { once: true });
  return () => {
    w.stop.removeEventListener('abort', onStop);
    clearTimeout(timer);
  };
}
