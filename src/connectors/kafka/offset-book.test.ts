import { describe, expect, it } from 'vitest';
import { OffsetBook } from './offset-book.js';

const all = () => true;

describe('OffsetBook', () => {
  it('counts lag from the committed offset, the low watermark when none, and the high watermark', () => {
    const book = new OffsetBook('t');
    book.load(
      [
        { partition: 0, offset: '40' },
        { partition: 1, offset: '-1' },
      ],
      [
        { partition: 0, low: '0', high: '100' },
        { partition: 1, low: '10', high: '25' },
      ],
      false,
    );
    expect(book.lag).toBe(60 + 15);
    book.fetched(1, '29', '30');
    expect(book.lag).toBe(60 + 20);
  });

  it('commits per partition the offset after the last record acked with all its predecessors', () => {
    const book = new OffsetBook('t');
    book.load([], [{ partition: 0, low: '0', high: '10' }], false);
    for (const o of [0n, 1n, 2n]) book.track(0, o);
    book.ack(0, 1n);
    expect(book.toCommit(all)).toEqual([]);
    book.ack(0, 0n);
    expect(book.toCommit(all)).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
    expect(book.lag).toBe(8);
    // Taken once: nothing new acked, nothing to commit.
    expect(book.toCommit(all)).toEqual([]);
  });

  it('does not offer what is committed already, nor partitions it is told are not ours', () => {
    const book = new OffsetBook('t');
    book.load(
      [{ partition: 0, offset: '5' }],
      [
        { partition: 0, low: '0', high: '10' },
        { partition: 1, low: '0', high: '10' },
      ],
      false,
    );
    book.track(0, 3n);
    book.ack(0, 3n);
    expect(book.toCommit(all)).toEqual([]);
    book.track(1, 0n);
    book.ack(1, 0n);
    expect(book.toCommit((p) => p !== 1)).toEqual([]);
  });

  it('offers a failed commit again, and stops after it went through', () => {
    const book = new OffsetBook('t');
    book.load([], [{ partition: 0, low: '0', high: '10' }], false);
    book.track(0, 0n);
    book.ack(0, 0n);
    const first = book.toCommit(all);
    book.failed(first);
    const again = book.toCommit(all);
    expect(again).toEqual(first);
    book.committed(again);
    expect(book.lag).toBe(9);
    book.failed(again);
    expect(book.toCommit(all)).toEqual([]);
  });

  it('forgets acks and fetch progress at a rebalance', () => {
    const book = new OffsetBook('t');
    book.load([], [{ partition: 0, low: '0', high: '10' }], true);
    book.track(0, 0n);
    book.ack(0, 0n);
    book.fetched(0, '9', '10');
    expect(book.reachedEnd()).toBe(true);
    book.reset();
    expect(book.toCommit(all)).toEqual([]);
    expect(book.lag).toBe(10);
    expect(book.reachedEnd()).toBe(false);
    // Records tracked before the reset are unknown after it.
    expect(() => book.ack(0, 0n)).toThrow(RangeError);
  });

  it("reaches the end (--once) when every partition is fetched or committed up to the start's high watermarks", () => {
    const book = new OffsetBook('t');
    book.load(
      [{ partition: 1, offset: '7' }],
      [
        { partition: 0, low: '3', high: '5' },
        { partition: 1, low: '0', high: '7' },
        { partition: 2, low: '4', high: '4' },
      ],
      true,
    );
    expect(book.reachedEnd()).toBe(false);
    book.fetched(0, '4', '9');
    expect(book.reachedEnd()).toBe(true);
  });

  it('never reaches an end without --once', () => {
    const book = new OffsetBook('t');
    book.load([], [{ partition: 0, low: '0', high: '0' }], false);
    expect(book.reachedEnd()).toBe(false);
  });
});
