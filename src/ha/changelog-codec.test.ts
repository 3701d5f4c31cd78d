import { describe, expect, it } from 'vitest';
import type { StateOp } from '../state/store.js';
import { decodeRecord, encodeOp, messageBytes, splitByBytes, type ChangelogMessage } from './changelog-codec.js';
import { isFenced } from './changelog-writer.js';

const asRecord = (m: ChangelogMessage, offset = '7') => ({ ...m, offset });

describe('changelog codec', () => {
  it('mirrors a put as <namespace>/<key> and the JSON of the value, a delete as a tombstone', () => {
    const put: StateOp = { type: 'put', ns: 'matchKeys', key: '7707083893|email:a/b@x.ru', value: 'C1' };
    const m = encodeOp(put);
    expect(m.key.toString()).toBe('matchKeys/7707083893|email:a/b@x.ru');
    expect(m.value?.toString()).toBe('"C1"');
    expect(m.headers).toEqual({ v: '1' });
    expect(m.partition).toBe(0);
    expect(decodeRecord(asRecord(m))).toEqual(put);

    const del: StateOp = { type: 'del', ns: 'pending', key: 'company|7707083893' };
    expect(encodeOp(del).value).toBeNull();
    expect(decodeRecord(asRecord(encodeOp(del)))).toEqual(del);
  });

  it('round-trips a structured value as LevelDB stores it (JSON)', () => {
    const value = { status: 'ACTIVE' as const, fetchedAt: '2026-01-01T00:00:00.000Z', name: 'ООО "Ромашка"' };
    const op = { type: 'put', ns: 'registry', key: '7707083893', value } as StateOp;
    expect(decodeRecord({ ...encodeOp(op), headers: { v: Buffer.from('1') }, offset: '0' })).toEqual(op);
  });

  it('refuses a put without a value before anything is written', () => {
    const op = { type: 'put', ns: 'matchKeys', key: 'secret@mail.ru', value: undefined } as unknown as StateOp;
    expect(() => encodeOp(op)).toThrow(/a put in matchKeys has no value/);
    expect(() => encodeOp({ ...op, value: null } as unknown as StateOp)).toThrow(/no value/);
    try {
      encodeOp(op);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('secret'); // keys may hold personal data
    }
  });

  it('fails clearly on a namespace or format version this release does not know', () => {
    const unknownNs = { key: Buffer.from('future/x'), value: Buffer.from('1'), headers: { v: '1' }, offset: '42' };
    expect(() => decodeRecord(unknownNs)).toThrow(
      expect.objectContaining({ code: 'CHANGELOG_FAILED', message: expect.stringMatching(/offset 42.*"future"/) }),
    );
    const noSlash = { ...unknownNs, key: Buffer.from('companies') };
    expect(() => decodeRecord(noSlash)).toThrow(expect.objectContaining({ code: 'CHANGELOG_FAILED' }));
    const v2 = { ...unknownNs, key: Buffer.from('companies/1'), headers: { v: Buffer.from('2') } };
    expect(() => decodeRecord(v2)).toThrow(/format version 2/);
  });
});

describe('splitByBytes', () => {
  const msg = (bytes: number): ChangelogMessage => ({
    key: Buffer.from('k'),
    value: Buffer.alloc(bytes),
    headers: { v: '1' },
    partition: 0,
  });

  it('keeps every group under the limit, in order, and sends an oversized message alone', () => {
    const messages = [msg(400), msg(400), msg(400), msg(2000), msg(10), msg(10)];
    const groups = splitByBytes(messages, 1000);
    expect(groups.flat()).toEqual(messages);
    expect(groups.map((g) => g.length)).toEqual([2, 1, 1, 2]);
    for (const g of groups.filter((g) => g.length > 1))
      expect(61 + g.reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(1000);
  });

  it('caps the messages of a group too', () => {
    expect(splitByBytes([msg(1), msg(1), msg(1), msg(1), msg(1)], 1000, 2).map((g) => g.length)).toEqual([2, 2, 1]);
  });

  it('gives no group for no messages', () => {
    expect(splitByBytes([], 1000)).toEqual([]);
  });
});

describe('isFenced', () => {
  it('recognizes a fenced producer however kafkajs wraps it', () => {
    expect(isFenced({ type: 'INVALID_PRODUCER_EPOCH' })).toBe(true);
    expect(isFenced(new Error('x', { cause: { message: 'Unknown error code 90' } }))).toBe(true);
    expect(
      isFenced({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: { type: 'INVALID_PRODUCER_EPOCH' } }),
    ).toBe(true);
    expect(isFenced({ errors: [{ type: 'NOT_LEADER_FOR_PARTITION' }, { type: 'PRODUCER_FENCED' }] })).toBe(true);
    expect(isFenced(new Error('Producer attempted an operation with an old epoch. Either …'))).toBe(true);
    expect(isFenced({ type: 'NOT_LEADER_FOR_PARTITION' })).toBe(false);
    expect(isFenced(new Error('Unknown error code 900'))).toBe(false);
  });
});
