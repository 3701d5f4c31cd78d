import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OrderedAcks } from './ordered-acks.js';

describe('OrderedAcks', () => {
  it('commits only contiguous positions when acks complete out of order', () => {
    const acks = new OrderedAcks();
    for (const o of [0n, 1n, 2n, 3n, 4n]) acks.track('p0', o);
    expect(acks.ack('p0', 2n)).toBeUndefined();
    expect(acks.ack('p0', 4n)).toBeUndefined();
    expect(acks.committable('p0')).toBeUndefined();
    expect(acks.ack('p0', 0n)?.offset).toBe(0n);
    expect(acks.ack('p0', 1n)?.offset).toBe(2n);
    expect(acks.pending('p0')).toBe(2);
    expect(acks.ack('p0', 3n)?.offset).toBe(4n);
    expect(acks.pending()).toBe(0);
  });

  it('keeps partitions independent and carries the resume token of the committed record', () => {
    const acks = new OrderedAcks();
    acks.track('a', 10n, 'wm-10');
    acks.track('b', 5n, 'wm-5');
    acks.track('a', 12n, 'wm-12');
    expect(acks.ack('b', 5n)).toEqual({ partition: 'b', offset: 5n, resume: 'wm-5' });
    expect(acks.ack('a', 12n)).toBeUndefined();
    expect(acks.ack('a', 10n)).toEqual({ partition: 'a', offset: 12n, resume: 'wm-12' });
  });

  it('refuses offsets that go backwards and acks of unknown offsets', () => {
    const acks = new OrderedAcks();
    acks.track('p', 3n);
    expect(() => acks.track('p', 3n)).toThrow(RangeError);
    expect(() => acks.ack('p', 7n)).toThrow(RangeError);
    expect(() => acks.ack('q', 0n)).toThrow(RangeError);
  });

  it('never commits past an unacked record, whatever the ack order (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 200 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: 0, maxLength: n })),
          ),
        ([n, order]) => {
          const acks = new OrderedAcks();
          for (let i = 0; i < n; i++) acks.track('p', BigInt(i * 2)); // gaps, like compacted topics
          const acked = new Set<number>();
          for (const i of order) {
            acks.ack('p', BigInt(i * 2));
            acked.add(i);
            let contiguous = -1;
            while (acked.has(contiguous + 1)) contiguous++;
            const c = acks.committable('p');
            expect(c === undefined ? -1 : Number(c.offset) / 2).toBe(contiguous);
          }
        },
      ),
    );
  });

  it('forgets a dropped partition so nothing of it can be committed', () => {
    const acks = new OrderedAcks();
    acks.track('p', 1n);
    acks.drop('p');
    expect(acks.committable('p')).toBeUndefined();
    expect(() => acks.ack('p', 1n)).toThrow(RangeError);
  });
});
