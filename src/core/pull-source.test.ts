import { describe, expect, it } from 'vitest';
import { bufferCount, concatMap, lastValueFrom, mergeMap, tap, toArray } from 'rxjs';
import { exposeGc, retainedHeap } from '../../test/support/gc.js';
import type { Envelope } from './envelope.js';
import { fromPullSource, type PullSource, type ReadResult } from './pull-source.js';

/** A counting source that makes records on demand, the way a real one reads its next chunk. */
function countingSource(total: number, onAck: (n: number) => void = () => {}): PullSource<number> & { reads: number } {
  let next = 0;
  return {
    name: 'counting',
    reads: 0,
    async read(max: number): Promise<ReadResult<number>> {
      this.reads++;
      const records: Envelope<number>[] = [];
      while (records.length < max && next < total) {
        const n = next++;
        records.push({
          value: n,
          position: { partition: 'p', offset: BigInt(n) },
          source: 'counting',
          ack: () => onAck(n),
          nack: () => {},
        });
      }
      return { records, done: next >= total };
    },
    async close() {},
  };
}

describe('fromPullSource', () => {
  it('never has more than maxInFlight records in flight behind a slow sink, and heap stays bounded', async () => {
    const total = 1_000_000;
    const maxInFlight = 500;
    let inFlight = 0;
    let peak = 0;
    let acked = 0;
    const gc = exposeGc();
    const heapBefore = retainedHeap(gc);
    let heapPeak = heapBefore;
    const source = countingSource(total, () => acked++);

    await lastValueFrom(
      fromPullSource(source, {
        maxInFlight,
        onInFlight: (n) => {
          inFlight = n;
          peak = Math.max(peak, n);
        },
      }).pipe(
        // The sink: would buffer without bound if the source pushed (mergeMap has no backpressure).
        mergeMap(async (env) => env, 10_000),
        bufferCount(250),
        concatMap(async (batch) => {
          await new Promise((r) => setImmediate(r)); // deliberately slow: a tick per batch
          for (const env of batch) env.ack();
          if (acked % 50_000 === 0) heapPeak = Math.max(heapPeak, retainedHeap(gc));
        }),
      ),
      { defaultValue: undefined },
    );

    expect(acked).toBe(total);
    expect(peak).toBeLessThanOrEqual(maxInFlight);
    expect(peak).toBeGreaterThan(0);
    expect(inFlight).toBe(0);
    // A million buffered envelopes would take well over 100 MB; credits keep it to a few hundred.
    expect(heapPeak - heapBefore).toBeLessThan(16 * 1024 * 1024);
  });

  it('stops reading on abort and completes once in-flight records are settled', async () => {
    const stop = new AbortController();
    const source = countingSource(10_000);
    const seen: Envelope<number>[] = [];
    const done = lastValueFrom(
      fromPullSource(source, { maxInFlight: 10, stop: stop.signal }).pipe(
        tap((env) => {
          seen.push(env);
          if (seen.length === 25) stop.abort();
        }),
        concatMap(async (env) => env.ack()),
        toArray(),
      ),
    );
    const settled = await done;
    expect(seen.length).toBeGreaterThanOrEqual(25);
    expect(seen.length).toBeLessThanOrEqual(35);
    expect(settled.length).toBe(seen.length);
  });

  it('completes on stop with nothing in flight while a read still waits (a server that is down)', async () => {
    const stop = new AbortController();
    let release: (r: ReadResult<number>) => void = () => {};
    const waiting: PullSource<number> = {
      name: 'waiting',
      read: () =>
        new Promise((r) => {
          release = r;
        }),
      close: async () => {},
    };
    const done = lastValueFrom(fromPullSource(waiting, { maxInFlight: 5, stop: stop.signal }).pipe(toArray()));
    await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    expect(await done).toEqual([]);
    // What the read brings afterwards is dropped, never emitted (so never acked or committed).
    release(await countingSource(3).read(3));
  });

  it('counts an ack or nack once, even when called twice', async () => {
    let inFlight = -1;
    const source = countingSource(3);
    await lastValueFrom(
      fromPullSource(source, { maxInFlight: 3, onInFlight: (n) => (inFlight = n) }).pipe(
        tap((env) => {
          env.ack();
          env.ack();
          env.nack(new Error('late'));
        }),
      ),
    );
    expect(inFlight).toBe(0);
  });

  it('errors when a source ignores its credits, and propagates read failures', async () => {
    const inner = countingSource(100);
    const greedy: PullSource<number> = { name: 'greedy', read: () => inner.read(10), close: async () => {} };
    await expect(lastValueFrom(fromPullSource(greedy, { maxInFlight: 5 }))).rejects.toThrow(
      'returned 10 records for 5 credits',
    );
    const bad: PullSource<number> = {
      name: 'bad',
      read: async () => {
        throw new Error('disk gone');
      },
      close: async () => {},
    };
    await expect(lastValueFrom(fromPullSource(bad, { maxInFlight: 1 }))).rejects.toThrow('disk gone');
    expect(() => fromPullSource(inner, { maxInFlight: 0 })).toThrow(RangeError);
  });
});
