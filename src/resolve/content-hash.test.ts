import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './content-hash.js';

/** The definition, written plainly: keys sorted with Array.prototype.sort at every level, undefined members dropped. */
function reference(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : reference(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
}

// Keys of any kind (digits are the tricky ones: V8 lists integer-like keys first, whatever the insertion order).
const key = fc.oneof(fc.string(), fc.constantFrom('inn', 'kpp', 'name', 'Name', 'é', 'я', '10', '9', 'a|b'));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 14 }),
  ),
})).value;

describe('canonicalJson', () => {
  it('is JSON with every object’s keys sorted and undefined members dropped', () => {
    fc.assert(
      fc.property(json, (v) => canonicalJson(v) === reference(v)),
      { numRuns: 2000 },
    );
  });

  it('hashes equal content equally whatever order it was built in', () => {
    const a = { record: { name: 'ООО «Ромашка»', inn: '7707083893', phones: [{ type: 'WORK', e164: '+7495' }] } };
    const b = { record: { phones: [{ e164: '+7495', type: 'WORK' }], inn: '7707083893', name: 'ООО «Ромашка»' } };
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
