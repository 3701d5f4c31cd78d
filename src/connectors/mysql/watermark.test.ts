import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareWatermarks,
  datetimeAt,
  fromMicros,
  lookbackStart,
  parseWatermark,
  secondsBetween,
  serializeWatermark,
  toMicros,
} from './watermark.js';

describe('watermark', () => {
  it('orders by updated_at, then id', () => {
    const a = { updatedAt: '2024-01-01 10:00:00', id: 9 };
    expect(compareWatermarks(a, { updatedAt: '2024-01-01 10:00:00', id: 10 })).toBe(-1);
    expect(compareWatermarks(a, { updatedAt: '2024-01-01 09:59:59.999999', id: 99 })).toBe(1);
    expect(compareWatermarks(a, { updatedAt: '2024-01-01 10:00:00.000000', id: 9 })).toBe(0);
  });

  it('round-trips DATETIME text through microseconds', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 253402300799999999n }), (us) => {
        expect(toMicros(fromMicros(us))).toBe(us);
      }),
    );
  });

  it('starts the look-back window before the watermark, at id 0; zero keeps the watermark', () => {
    const w = { updatedAt: '2024-01-01 00:00:10', id: 5 };
    expect(lookbackStart(w, 30)).toEqual({ updatedAt: '2023-12-31 23:59:40.000000', id: 0 });
    expect(lookbackStart(w, 0)).toBe(w);
    expect(lookbackStart({ updatedAt: '1970-01-01 00:00:00', id: 0 }, 30).updatedAt).toBe('1970-01-01 00:00:00.000000');
  });

  it('serializes, parses and refuses garbage', () => {
    const w = { updatedAt: '2024-01-01 10:00:00', id: 3 };
    expect(parseWatermark(serializeWatermark(w))).toEqual(w);
    expect(() => parseWatermark('{"updatedAt":"yesterday","id":1}')).toThrow(TypeError);
  });

  it('turns a moment into the shop time zone and measures seconds', () => {
    expect(datetimeAt(new Date('2024-02-01T00:00:00Z'), '+03:00')).toBe('2024-02-01 03:00:00.000000');
    expect(datetimeAt(new Date('2024-02-01T00:00:00Z'), '-01:30')).toBe('2024-01-31 22:30:00.000000');
    expect(secondsBetween('2024-01-01 10:00:00', '2024-01-01 10:01:00.5')).toBe(60.5);
  });
});
