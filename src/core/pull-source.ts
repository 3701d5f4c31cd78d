import { Observable } from 'rxjs';
import type { Envelope } from './envelope.js';

export interface ReadResult<T> {
  records: Envelope<T>[];
  /** No more records will ever come (a drained `--once` source, the end of a file). */
  done: boolean;
}

/**
 * A source that is pulled: it reads its next chunk only when asked, so the runtime's credit
 * limit is the only buffer. `read(max)` resolves with at most `max` records; it may wait (a poll
 * interval, a Kafka fetch) and may resolve with none and `done: false` to be asked again.
 */
export interface PullSource<T> {
  readonly name: string;
  read(max: number): Promise<ReadResult<T>>;
  close(): Promise<void>;
}

export interface CreditOptions {
  /** Max records in flight: emitted and not yet acked or nacked. */
  maxInFlight: number;
  /** Called whenever the in-flight count changes (metrics). */
  onInFlight?: (n: number) => void;
  /** Once aborted no more reads are issued; the Observable completes when in-flight drains. */
  stop?: AbortSignal;
}

/**
 * Turns a pull source into an Observable under a credit limit. RxJS has no backpressure of its
 * own, so the limit is enforced here: a read is issued only for the credits that are free, and
 * each ack or nack gives its credit back. Completes when the source is done and all is settled.
 */
export function fromPullSource<T>(source: PullSource<T>, opts: CreditOptions): Observable<Envelope<T>> {
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be a positive integer, got ${opts.maxInFlight}`);
  }
  return new Observable<Envelope<T>>((subscriber) => {
    let inFlight = 0;
    let reading = false;
    let done = false;
    let stopped = false;

    const settle = () => {
      inFlight--;
      opts.onInFlight?.(inFlight);
      if (done && inFlight === 0) subscriber.complete();
      else pump();
    };

    const wrap = (env: Envelope<T>): Envelope<T> => {
      let settled = false;
      const once = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
        settle();
      };
      return {
        value: env.value,
        position: env.position,
        source: env.source,
        ack: () => once(() => env.ack()),
        nack: (err) => once(() => env.nack(err)),
      };
    };

    const pump = () => {
      if (reading || done || stopped) return;
      const credit = opts.maxInFlight - inFlight;
      if (credit <= 0) return;
      reading = true;
      source.read(credit).then(
        (result) => {
          reading = false;
          if (stopped) return;
          // A stop requested while reading still delivers what was read: it is in our hands now.
          const stopRequested = done;
          if (result.records.length > credit) {
            subscriber.error(
              new RangeError(`${source.name} returned ${result.records.length} records for ${credit} credits`),
            );
            return;
          }
          inFlight += result.records.length;
          opts.onInFlight?.(inFlight);
          done = result.done || stopRequested;
          for (const env of result.records) {
            if (stopped) return;
            subscriber.next(wrap(env));
          }
          if (done && inFlight === 0) subscriber.complete();
          else if (result.records.length > 0 || !done) setImmediate(pump);
        },
        (err: unknown) => {
          reading = false;
          // Once stopping, a failed read (a source closed while it waited for its server) only ends reading.
          if (done) {
            if (inFlight === 0) subscriber.complete();
            return;
          }
          subscriber.error(err);
        },
      );
    };

    // With nothing in flight a stop completes at once, even while a read waits (a poll interval, a
    // server that is down): what that read returns is never emitted, so never acked, and its
    // position is not committed — the next start reads it again.
    const onStop = () => {
      done = true;
      if (inFlight === 0) subscriber.complete();
    };
    if (opts.stop?.aborted) onStop();
    else opts.stop?.addEventListener('abort', onStop, { once: true });

    pump();
    return () => {
      stopped = true;
      opts.stop?.removeEventListener('abort', onStop);
    };
  });
}
