import { describe, expect, it } from 'vitest';
import { parsePhones } from './phone.js';

// Real-world spellings from store exports and CRM imports: [field, expected "e164[;ext][:type]" list, unparseable count]
const table: Array<[string, string[], number?]> = [
  ['+7 (495) 500-55-50', ['+74955005550:FIXED_LINE']],
  ['8 800 555 55 50 доб. 123', ['+78005555550;123:TOLL_FREE']],
  ['8-916-123-45-67', ['+79161234567:MOBILE']],
  ['4955005550', ['+74955005550:FIXED_LINE']],
  ['84955005550', ['+74955005550:FIXED_LINE']],
  ['7 495 500 55 50', ['+74955005550:FIXED_LINE']],
  ['74955005550', ['+74955005550:FIXED_LINE']],
  ['+7 495 500 55 50, 8 916 123 45 67', ['+74955005550:FIXED_LINE', '+79161234567:MOBILE']],
  ['8(495)5005550 доб 12', ['+74955005550;12:FIXED_LINE']],
  ['+7 495 500-55-50 ext. 45', ['+74955005550;45:FIXED_LINE']],
  ['+7 495 500-55-50 #7', ['+74955005550;7:FIXED_LINE']],
  ['+7 495 500-55-50 x 7', ['+74955005550;7:FIXED_LINE']],
  ['+74955005550x7', ['+74955005550;7:FIXED_LINE']],
  ['8 495 500 55 50; +7 916 123-45-67', ['+74955005550:FIXED_LINE', '+79161234567:MOBILE']],
  ['8 495 500 55 50 / 8 916 123 45 67', ['+74955005550:FIXED_LINE', '+79161234567:MOBILE']],
  ['8 (495) 500-55-50, доб. 321', ['+74955005550;321:FIXED_LINE']],
  ['тел.: +7 (495) 500-55-50', ['+74955005550:FIXED_LINE']],
  ['84955005550 89161234567', ['+74955005550:FIXED_LINE', '+79161234567:MOBILE']],
  ['+7 (916) 123 45 67 или 8 (495) 500 55 50', ['+79161234567:MOBILE', '+74955005550:FIXED_LINE']],
  ['89161234567', ['+79161234567:MOBILE']],
  ['9161234567', ['+79161234567:MOBILE']],
  ['+79161234567', ['+79161234567:MOBILE']],
  ['8 (8552) 39-40-41', ['+78552394041:FIXED_LINE']],
  ['+7 (812) 325-25-25', ['+78123252525:FIXED_LINE']],
  ['8 812 325 25 25 доб. 2', ['+78123252525;2:FIXED_LINE']],
  ['8-800-555-35-35', ['+78005553535:TOLL_FREE']],
  ['+375 29 123-45-67', ['+375291234567:MOBILE']],
  ['+7 (495) 500-55-50 вн. 5', ['+74955005550;5:FIXED_LINE']],
  ['8 (495) 500 55 50\n8 916 123 45 67', ['+74955005550:FIXED_LINE', '+79161234567:MOBILE']],
  ['(495) 500-55-50', ['+74955005550:FIXED_LINE']],
  ['+7\u00A0495\u00A0500\u201155\u201150', ['+74955005550:FIXED_LINE']],
  ['+7 (495) 500-55-50, +7 (495) 500-55-50', ['+74955005550:FIXED_LINE']], // duplicate collapsed
  ['8 495 500-55-50 доб.100, доб.200', ['+74955005550;100:FIXED_LINE'], 1], // second ext has no number of its own
  ['123', [], 1],
  ['нет', [], 1],
  ['+7 123 456 78 90', [], 1], // no such Russian area code
  ['+7 495 500 55 50, 000', ['+74955005550:FIXED_LINE'], 1],
  ['', []],
];

const show = (p: { e164: string; ext?: string; type?: string }) =>
  `${p.e164}${p.ext ? `;${p.ext}` : ''}${p.type ? `:${p.type}` : ''}`;

describe('parsePhones: real-world spellings', () => {
  it('has at least 30 cases', () => expect(table.length).toBeGreaterThanOrEqual(30));
  it.each(table)('%j', (field, expected, unparseable = 0) => {
    const r = parsePhones(field);
    expect(r.phones.map(show)).toEqual(expected);
    expect(r.unparseable).toHaveLength(unparseable);
  });
  it('takes a list of fields (Shop B phones[])', () => {
    expect(parsePhones(['+7 (495) 500-55-50', '8 800 555 55 50 доб. 123']).phones.map(show)).toEqual([
      '+74955005550:FIXED_LINE',
      '+78005555550;123:TOLL_FREE',
    ]);
  });
  it('null is no phones', () => expect(parsePhones(null)).toEqual({ phones: [], unparseable: [] }));
  it('is idempotent on its own output', () => {
    for (const [field] of table) {
      const once = parsePhones(field).phones;
      const again = parsePhones(once.map((p) => p.e164 + (p.ext ? ` доб. ${p.ext}` : ''))).phones;
      expect(again).toEqual(once);
    }
  });
});
