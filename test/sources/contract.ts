// Shared checks every source must pass (the Benthos connector contract, in small): credit is
// never exceeded, and a restart resumes from the committed position. Used by each connector's
// integration test with a real service behind it.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Envelope } from '../../src/core/envelope.js';
import { fromPullSource, type PullSource } from '../../src/core/pull-source.js';

/** Reads until `n` records arrived (or the source is done), asking for at most `chunk` at a time. */
export async function take<T>(
  source: PullSource<T>,
  n: number,
  chunk = 100,
  timeoutMs = 60_000,
): Promise<Envelope<T>[]> {
  const out: Envelope<T>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    if (Date.now() > deadline)
      throw new Error(`${source.name}: only ${out.length} of ${n} records within ${timeoutMs} ms`);
    const { records, done } = await source.read(Math.min(chunk, n - out.length));
    expect(records.length).toBeLessThanOrEqual(Math.min(chunk, n - out.length));
    out.push(...records);
    if (done) break;
  }
  return out;
}

/** Reads until the source reports done; acks everything on the way unless told otherwise. */
export async function drain<T>(
  source: PullSource<T>,
  opts: { chunk?: number; ack?: boolean; timeoutMs?: number } = {},
): Promise<Envelope<T>[]> {
  const out: Envelope<T>[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (Date.now() > deadline)
      throw new Error(`${source.name}: not done within ${opts.timeoutMs ?? 60_000} ms (${out.length} read)`);
    const { records, done } = await source.read(opts.chunk ?? 100);
    for (const r of records) if (opts.ack !== false) r.ack();
    out.push(...records);
    if (done) return out;
  }
}

/**
 * Backpressure: behind a sink that never acks, the runtime's credit is the only buffer, so the
 * source must never have more than `credit` records in flight however long it is left running.
 * Returns how many were emitted (tests may check a Kafka consumer is paused meanwhile).
 */
export async function expectCreditHeld<T>(source: PullSource<T>, credit: number, waitMs = 1500): Promise<number> {
  let emitted = 0;
  let peak = 0;
  const stop = new AbortController();
  const sub = fromPullSource(source, {
    maxInFlight: credit,
    stop: stop.signal,
    onInFlight: (n) => (peak = Math.max(peak, n)),
  }).subscribe({ next: () => emitted++, error: () => {} });
  await sleep(waitMs);
  expect(emitted).toBeLessThanOrEqual(credit);
  expect(peak).toBeLessThanOrEqual(credit);
  expect(emitted).toBeGreaterThan(0);
  sub.unsubscribe();
  stop.abort();
  return emitted;
}

/** The offsets a list of envelopes carries, per partition, as numbers (for set comparisons). */
export function offsetsOf<T>(envs: Envelope<T>[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const e of envs) {
    const list = m.get(e.position.partition) ?? [];
    list.push(Number(e.position.offset));
    m.set(e.position.partition, list);
  }
  return m;
}
