import { describe, expect, it } from 'vitest';
import { checkShape } from './shape.js';

describe('checkShape', () => {
  it('passes an object with a partnerId', () => {
    expect(checkShape({ partnerId: '0001', name: 'ООО' })).toBeUndefined();
  });

  it.each([
    [null, 'null'],
    [[1], 'an array'],
    ['x', 'a string'],
    [7, 'a number'],
  ])('marks %j as %s', (value, what) => {
    expect(checkShape(value)).toEqual({ reason: 'MALFORMED_RECORD', detail: expect.stringContaining(what) });
  });

  it('wants a non-empty partnerId string', () => {
    expect(checkShape({ partnerId: 12 })?.reason).toBe('MALFORMED_RECORD');
    expect(checkShape({ partnerId: ' ' })?.reason).toBe('MALFORMED_RECORD');
  });

  it('finds U+FFFD anywhere in the element, unless told no check is needed', () => {
    const bad = { partnerId: '1', contacts: [{ lastName: 'Ив\uFFFDнов' }] };
    expect(checkShape(bad)?.reason).toBe('BAD_ENCODING');
    expect(checkShape(bad, false)).toBeUndefined();
  });
});
