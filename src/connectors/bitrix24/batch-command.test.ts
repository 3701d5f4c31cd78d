import { describe, expect, it } from 'vitest';
import { parsePhpQuery } from '../../sandbox/bitrix24/parse-str.js';
import { batchCommand, encodePhpQuery } from './batch-command.js';

describe('PHP bracket encoder', () => {
  it('encodes nested objects and lists the way http_build_query does', () => {
    expect(encodePhpQuery({ fields: { TITLE: 'Acme', PHONE: [{ VALUE: '+7 495', VALUE_TYPE: 'WORK' }] } })).toBe(
      'fields[TITLE]=Acme&fields[PHONE][0][VALUE]=%2B7%20495&fields[PHONE][0][VALUE_TYPE]=WORK',
    );
    expect(encodePhpQuery({ select: ['ID', 'PHONE'], start: -1 })).toBe('select[0]=ID&select[1]=PHONE&start=-1');
  });

  it('drops null, undefined and empty containers; renders booleans as 1/0', () => {
    expect(encodePhpQuery({ a: null, b: undefined, c: [], d: {}, e: true, f: false })).toBe('e=1&f=0');
  });

  it('escapes &, =, #, + and non-ASCII text in values and keys', () => {
    const q = encodePhpQuery({ fields: { TITLE: 'ООО "Р&К" = #1 + 2', 'we ird': 'x' } });
    expect(q).not.toMatch(/[" #+]|&К/);
    expect(parsePhpQuery(q)).toEqual({ fields: { TITLE: 'ООО "Р&К" = #1 + 2', 'we ird': 'x' } });
  });

  it('keeps $result references intact through the portal decoder', () => {
    const cmd = batchCommand('crm.requisite.add', { fields: { ENTITY_ID: '$result[w0_c]', NAME: 'a b' } });
    expect(cmd.startsWith('crm.requisite.add?')).toBe(true);
    expect(parsePhpQuery(cmd.slice(cmd.indexOf('?') + 1))).toEqual({
      fields: { ENTITY_ID: '$result[w0_c]', NAME: 'a b' },
    });
    expect(batchCommand('crm.requisite.preset.list')).toBe('crm.requisite.preset.list');
  });

  it('round-trips arbitrary nested values through PHP-style parsing', () => {
    const value = {
      fields: { A: 'x', M: [{ ID: '5', DELETE: 'Y' }, { VALUE: 'a@b.ru' }], N: { deep: { er: 'v' } } },
      id: '7',
    };
    expect(parsePhpQuery(encodePhpQuery(value))).toEqual(value);
  });
});
