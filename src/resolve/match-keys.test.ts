import { describe, expect, it } from 'vitest';
import { foldKey } from './fold.js';
import { contact, line, mobile } from './fixtures.js';
import { contactMatchKeys, nameKey, sharedChannels } from './match-keys.js';

const none = { phones: new Set<string>(), emails: new Set<string>() };

describe('match keys', () => {
  it('folds ё, case and spacing', () => {
    expect(foldKey('  Фёдоров\u00a0 Пётр ')).toBe('федоров петр');
  });

  it('builds a name key only from last AND first name', () => {
    expect(nameKey({ lastName: 'Фёдоров', firstName: 'Пётр' })).toBe('name:fedorov|petr|');
    expect(nameKey({ lastName: 'ФЕДОРОВ ', firstName: 'петр', middleName: 'Ильич' })).toBe('name:fedorov|petr|ilich');
    expect(nameKey({ lastName: 'Fyodorov', firstName: 'Pyotr', middleName: 'Ilyich' })).toBe('name:fedorov|petr|ilich');
    expect(nameKey({ lastName: 'Лукина', firstName: 'Лидия', middleName: 'С.' })).toBe('name:lukina|lidia|s');
    expect(nameKey({ firstName: 'Пётр' })).toBeUndefined();
    expect(nameKey({ lastName: 'Фёдоров' })).toBeUndefined();
    expect(nameKey({ lastName: 'Фёдоров', firstName: 'П.' })).toBeUndefined();
  });

  it('keys e-mails and personal phones, number and extension together', () => {
    const c = contact({ emails: ['Ivan@Romashka.ru'], phones: [mobile('+79161234567'), line('+74955005550', '12')] });
    expect(contactMatchKeys(c, none)).toEqual([
      'email:ivan@romashka.ru',
      'phone:+74955005550;ext=12',
      'phone:+79161234567',
    ]);
  });

  it('treats a number seen with different extensions as a switchboard, its extensions as direct lines', () => {
    const a = contact({ phones: [line('+74955005550', '12')] });
    const b = contact({ phones: [line('+74955005550', '13')] });
    const c = contact({ phones: [line('+74955005550')] });
    const shared = sharedChannels([], [], [a, b, c]);
    expect(contactMatchKeys(c, shared)).toEqual([]);
    expect(contactMatchKeys(a, shared)).toEqual(['phone:+74955005550;ext=12']);
  });

  it("does not key the company's own numbers and mailboxes, nor 8-800 lines", () => {
    const shared = sharedChannels([line('+74955005550')], ['info@romashka.ru'], []);
    const c = contact({
      emails: ['info@romashka.ru'],
      phones: [line('+74955005550'), { e164: '+78005555550', type: 'TOLL_FREE' }],
    });
    expect(contactMatchKeys(c, shared)).toEqual([]);
  });
});
