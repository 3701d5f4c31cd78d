import { describe, expect, it } from 'vitest';
import { parsePhpQuery } from './parse-str.js';

describe('parsePhpQuery', () => {
  it('builds nested maps and lists from bracket keys', () => {
    const q =
      'fields[TITLE]=%D0%9E%D0%9E%D0%9E+A&fields[PHONE][0][VALUE]=%2B7&fields[PHONE][0][VALUE_TYPE]=WORK&select[]=ID&select[]=TITLE';
    expect(parsePhpQuery(q)).toEqual({
      fields: { TITLE: 'ООО A', PHONE: [{ VALUE: '+7', VALUE_TYPE: 'WORK' }] },
      select: ['ID', 'TITLE'],
    });
  });

  it('keeps non-sequential keys as a map, later pairs win, prototype keys are dropped', () => {
    expect(parsePhpQuery('a[5]=x&a[7]=y&b=1&b=2&__proto__[x]=1&c[__proto__]=2')).toEqual({
      a: { 5: 'x', 7: 'y' },
      b: '2',
    });
  });

  it('accepts a leading ? and an empty string', () => {
    expect(parsePhpQuery('?id=3')).toEqual({ id: '3' });
    expect(parsePhpQuery('')).toEqual({});
  });
});
