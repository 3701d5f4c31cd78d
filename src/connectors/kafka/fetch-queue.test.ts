import { describe, expect, it } from 'vitest';
import { FetchQueue } from './fetch-queue.js';
import type { KafkaRawRecord } from './record.js';

const rec = (partition: number, offset: number): KafkaRawRecord => ({
  topic: 't',
  partition,
  offset: String(offset),
  key: null,
  value: Buffer.alloc(0),
  tombstone: false,
  headers: {},
  timestamp: '0',
});
const offsets = (q: FetchQueue, max: number) => q.take(max).map((x) => `${x.record.partition}@${x.record.offset}`);

describe('FetchQueue', () => {
  it('pauses fetching at the high water mark and resumes at the low one', () => {
    const q = new FetchQueue(4, 1);
    const calls: string[] = [];
    q.attach({ pause: () => calls.push('pause'), resume: () => calls.push('resume') });
    q.rebalance([0]);
    q.push(
      0,
      [0, 1, 2].map((o) => rec(0, o)),
    );
    expect(q.isPaused).toBe(false);
    q.push(
      0,
      [3, 4].map((o) => rec(0, o)),
    );
    expect(q.isPaused).toBe(true);
    expect(offsets(q, 3)).toEqual(['0@0', '0@1', '0@2']);
    expect(calls).toEqual(['pause']);
    expect(offsets(q, 1)).toEqual(['0@3']);
    expect(calls).toEqual(['pause', 'resume']);
    expect(q.queued).toBe(1);
  });

  it('never queues an offset of a partition twice within a generation', () => {
    const q = new FetchQueue(100, 10);
    q.rebalance([0]);
    q.push(
      0,
      [0, 1, 2].map((o) => rec(0, o)),
    );
    q.push(
      0,
      [1, 2, 3].map((o) => rec(0, o)),
    );
    expect(offsets(q, 10)).toEqual(['0@0', '0@1', '0@2', '0@3']);
  });

  it('drops what an older generation queued at a rebalance, and resumes a paused topic', () => {
    const q = new FetchQueue(2, 0);
    const calls: string[] = [];
    q.attach({ pause: () => calls.push('pause'), resume: () => calls.push('resume') });
    expect(q.rebalance([0, 1])).toBe(1);
    q.push(0, [rec(0, 5), rec(0, 6)]);
    expect(q.isPaused).toBe(true);
    expect(q.rebalance([1])).toBe(2);
    expect(calls).toEqual(['pause', 'resume']);
    expect(q.queued).toBe(0);
    expect(q.owns(0)).toBe(false);
    // The new owner of a partition re-reads from its committed offset: earlier offsets queue again.
    q.push(1, [rec(1, 0)]);
    expect(q.take(10).map((x) => x.generation)).toEqual([2]);
  });

  it('wakes a waiting reader when records arrive', async () => {
    const q = new FetchQueue(100, 10);
    q.rebalance([0]);
    const started = performance.now();
    const waiting = q.wait(5000);
    setTimeout(() => q.push(0, [rec(0, 0)]), 10);
    await waiting;
    expect(performance.now() - started).toBeLessThan(2000);
    expect(q.queued).toBe(1);
  });
});
