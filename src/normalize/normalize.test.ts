import fc from 'fast-check';
import iconv from 'iconv-lite';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseEmails } from './email.js';
import { CrmUnifyError } from '../core/errors.js';
import {
  MisdeclaredUtf8Sniffer,
  UNDECODABLE_MARK,
  createWin1251DecodeStream,
  decodeWin1251,
  isMojibake,
} from './encoding.js';
import { extractLegalForm } from './legal-form.js';
import { nameSkeleton } from './match-key.js';
import { displayCase, femaleFirstNames, isKnownFirstName, maleFirstNames, parsePersonName } from './person-name.js';
import { cleanText, normalizeQuotes } from './text.js';

describe('text', () => {
  it.each([
    ['  ООО\u00A0\u00A0"Ромашка"\t ', 'ООО "Ромашка"'],
    ['a\u2003b\u202Fc\u3000d', 'a b c d'],
    ['x\u0000y\u200Bz\uFEFF', 'xyz'],
    ['line1\r\nline2', 'line1 line2'],
    ['', ''],
  ])('cleanText(%j) → %j', (raw, out) => expect(cleanText(raw)).toBe(out));
  it('normalizes every double-quote style to one', () => {
    expect(normalizeQuotes('«Ромашка» “Роза” „Лилия“ "Мак" ＂Я＂')).toBe('"Ромашка" "Роза" "Лилия" "Мак" "Я"');
  });
  it('cleanText and normalizeQuotes are idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(cleanText(cleanText(s))).toBe(cleanText(s));
        expect(normalizeQuotes(normalizeQuotes(s))).toBe(normalizeQuotes(s));
      }),
    );
  });
});

describe('encoding (windows-1251)', () => {
  it('decodes windows-1251 bytes', () => {
    expect(decodeWin1251(iconv.encode('ООО «Ромашка» №1 ёЁ', 'win1251'))).toEqual({
      ok: true,
      value: 'ООО «Ромашка» №1 ёЁ',
      warnings: [],
    });
  });
  it('rejects the unmapped byte 0x98 instead of producing U+FFFD', () => {
    const r = decodeWin1251(Buffer.from([0xc0, 0x98, 0xe0]));
    expect(r).toMatchObject({ ok: false, reason: 'BAD_ENCODING' });
    expect(!r.ok && r.detail).toMatch(/0x98 at offset 1/);
  });
  it('rejects UTF-8 bytes declared as windows-1251', () => {
    const r = decodeWin1251(Buffer.from('ООО Ромашка', 'utf8'));
    expect(r).toMatchObject({ ok: false, reason: 'BAD_ENCODING' });
    expect(!r.ok && r.detail).toMatch(/valid UTF-8/);
  });
  it('ASCII is fine either way', () =>
    expect(decodeWin1251(Buffer.from('OOO Romashka'))).toMatchObject({ ok: true, value: 'OOO Romashka' }));
  it('real Russian windows-1251 text is never taken for UTF-8', () => {
    fc.assert(
      fc.property(
        fc
          .array(
            fc.constantFrom(
              ...'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ «»№-.,0123'.split(''),
            ),
            { minLength: 4 },
          )
          .map((a) => a.join('')),
        (s) => {
          fc.pre(/[а-яё]/u.test(s));
          expect(decodeWin1251(iconv.encode(s, 'win1251'))).toMatchObject({ ok: true, value: s });
        },
      ),
      { examples: [['а«ё.']] },
    ); // its bytes are valid UTF-8 (U+0AF8): it was once refused
  });
  it('detects mojibake in strings decoded by someone else', () => {
    const mojibake = iconv.decode(Buffer.from('Иванов Иван', 'utf8'), 'win1251');
    expect(isMojibake(mojibake)).toBe(true);
    expect(isMojibake('Иванов Иван')).toBe(false);
    expect(isMojibake('Рёбра СССР')).toBe(false);
  });

  const collect = async (chunks: Buffer[], opts = {}) => {
    let out = '';
    for await (const c of Readable.from(chunks).pipe(createWin1251DecodeStream(opts))) out += String(c);
    return out;
  };
  it('stream: decodes chunks, keeps order', async () => {
    const bytes = iconv.encode('[{"name":"ООО «Ромашка»"},{"name":"ИП Петров"}]', 'win1251');
    expect(await collect([bytes.subarray(0, 7), bytes.subarray(7, 20), bytes.subarray(20)], { sniffBytes: 16 })).toBe(
      '[{"name":"ООО «Ромашка»"},{"name":"ИП Петров"}]',
    );
  });
  it('stream: fails on UTF-8 input and on 0x98 (error mode), marks 0x98 in mark mode', async () => {
    await expect(collect([Buffer.from('[{"name":"ООО Ромашка"}]', 'utf8')])).rejects.toThrow(/UTF-8/);
    await expect(collect([Buffer.from([0x5b, 0x98, 0x5d])])).rejects.toThrow(/0x98/);
    expect(await collect([Buffer.from([0x5b, 0x98, 0xc0, 0x5d])], { onUnmapped: 'mark' })).toBe(
      `[${UNDECODABLE_MARK}А]`,
    );
  });
  it('sniffer: passes ASCII at once, holds from the first non-ASCII byte for one window, judges that text', () => {
    const ascii = Buffer.from('x'.repeat(100));
    const sniffer = new MisdeclaredUtf8Sniffer(8);
    expect(sniffer.feed(ascii)).toEqual([ascii]); // nothing held while every byte is ASCII
    const cp = iconv.encode('ООО «Ромашка»', 'win1251');
    expect(sniffer.feed(cp.subarray(0, 4))).toEqual([]);
    expect(sniffer.feed(cp.subarray(4))).toEqual([cp.subarray(0, 4), cp.subarray(4)]);
    const utf8 = new MisdeclaredUtf8Sniffer(8);
    utf8.feed(ascii);
    const err = utf8.feed(Buffer.from('ООО Ромашка', 'utf8'));
    expect(err).toBeInstanceOf(CrmUnifyError);
    expect(err).toMatchObject({ code: 'SOURCE_STRUCTURE_BROKEN', details: { why: 'utf8-misdeclared', offset: 100 } });
    expect(new MisdeclaredUtf8Sniffer().end()).toEqual([]); // an ASCII-only (or empty) stream ends clean
  });
  it('sniffer: a short UTF-8 tail at the end of the stream is judged too; a BOM is named', () => {
    const s = new MisdeclaredUtf8Sniffer();
    expect(s.feed(Buffer.from('[{"name":"Иванов"}]', 'utf8'))).toEqual([]);
    expect(s.end()).toMatchObject({ details: { why: 'utf8-misdeclared' } });
    const bom = new MisdeclaredUtf8Sniffer();
    bom.feed(Buffer.from('\uFEFF[]', 'utf8'));
    expect((bom.end() as CrmUnifyError).message).toMatch(/byte-order mark/);
  });
});

describe('legal form', () => {
  it.each([
    ['ООО  "Ромашка" ', 'OOO', 'Ромашка'],
    ['Общество с ограниченной ответственностью «Ромашка»', 'OOO', 'Ромашка'],
    ['Ромашка, ООО', 'OOO', 'Ромашка'],
    ['ООО «Фирма «Ромашка»»', 'OOO', 'Фирма "Ромашка"'],
    ['OOO Romashka', 'OOO', 'Romashka'],
    ['ПАО СБЕРБАНК', 'PAO', 'СБЕРБАНК'],
    ['Публичное акционерное общество "Сбербанк России"', 'PAO', 'Сбербанк России'],
    ['Акционерное общество "Тинькофф Банк"', 'AO', 'Тинькофф Банк'],
    ['АО "Ромашка"', 'AO', 'Ромашка'],
    ['ЗАО «АОН»', 'ZAO', 'АОН'],
    ['ОАО "РЖД"', 'OAO', 'РЖД'],
    ['НКО "Фонд"', 'NKO', 'Фонд'],
    ['АНО "Школа"', 'NKO', 'Школа'],
    ['ИП Петров П.П.', 'IP', 'Петров П.П.'],
    ['Индивидуальный предприниматель Сидоров Сидор Сидорович', 'IP', 'Сидоров Сидор Сидорович'],
    ['ГУП "Мосгортранс"', 'GUP', 'Мосгортранс'],
    ['ФГУП «Почта России»', 'GUP', 'Почта России'],
    ['МУП "Водоканал"', 'MUP', 'Водоканал'],
    ['Глава КФХ Иванов И.И.', 'KFH', 'Иванов И.И.'],
    ['КФХ «Рассвет»', 'KFH', 'Рассвет'],
    ['ТСЖ "Дом"', 'OTHER', 'Дом'],
  ])('%j → %s %j', (raw, form, name) => expect(extractLegalForm(raw)).toEqual({ legalForm: form, name }));
  it('leaves names without a form alone (a form inside a word does not count)', () => {
    expect(extractLegalForm('Завод "Красный Октябрь"')).toEqual({ name: 'Завод "Красный Октябрь"' });
    expect(extractLegalForm('Гипаорстрой')).toEqual({ name: 'Гипаорстрой' });
  });
});

describe('person names', () => {
  it.each([
    ['Иванов Иван Иванович', 'Иванов', 'Иван', 'Иванович'],
    ['иванов и.и.', 'Иванов', 'И.', 'И.'],
    ['Иванов И. И.', 'Иванов', 'И.', 'И.'],
    ['И.И. Иванов', 'Иванов', 'И.', 'И.'],
    ['ИВАНОВ ИВАН ИВАНОВИЧ', 'Иванов', 'Иван', 'Иванович'],
    ['Иван Иванович Иванов', 'Иванов', 'Иван', 'Иванович'],
    ['Иванов', 'Иванов', undefined, undefined],
    ['Ivan', undefined, 'Ivan', undefined],
    ['Мария', undefined, 'Мария', undefined],
    ['John Smith', 'Smith', 'John', undefined],
    ['Анна Петрова', 'Петрова', 'Анна', undefined],
    ['римский-корсаков николай андреевич', 'Римский-Корсаков', 'Николай', 'Андреевич'],
    ['Мамедов Ахмед Рза оглы', 'Мамедов', 'Ахмед', 'Рза оглы'],
    ['Иванов Иван Иванович (менеджер)', 'Иванов', 'Иван', 'Иванович'],
    ['  Петров   П.П. ', 'Петров', 'П.', 'П.'],
  ])('%j', (raw, lastName, firstName, middleName) => {
    expect(parsePersonName(raw)).toEqual(JSON.parse(JSON.stringify({ lastName, firstName, middleName })));
  });
  it('keeps chosen mixed case', () => expect(displayCase('McDonald')).toBe('McDonald'));
  it('empty input is no name', () => expect(parsePersonName('  ')).toEqual({}));
});

describe('emails', () => {
  it.each([
    ['Info@Romashka.ru ', ['info@romashka.ru'], 0],
    ['a@b.ru, C@D.RU; e@f.com', ['a@b.ru', 'c@d.ru', 'e@f.com'], 0],
    ['a@b.ru a@b.ru', ['a@b.ru'], 0],
    ['Иванов <Ivanov@Mail.Ru>', ['ivanov@mail.ru'], 0],
    ['mailto:x@y.ru', ['x@y.ru'], 0],
    ['bad@, ok@ok.ru', ['ok@ok.ru'], 1],
    ['@mail.ru', [], 1],
    ['', [], 0],
  ])('%j', (field, emails, invalid) => {
    const r = parseEmails(field);
    expect(r.emails).toEqual(emails);
    expect(r.invalid).toHaveLength(invalid);
  });
  it('is idempotent on its own output', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (e) => {
        const once = parseEmails(e).emails;
        expect(parseEmails(once).emails).toEqual(once);
      }),
    );
  });
});

const parts = (last?: string, first?: string, middle?: string) =>
  JSON.parse(JSON.stringify({ lastName: last, firstName: first, middleName: middle })) as object;

describe('a full name in one field', () => {
  it.each([
    // surname first (the Russian default), any case
    ['Лукина Лидия Семеновна', 'Лукина', 'Лидия', 'Семеновна'],
    ['ЛУКИНА ЛИДИЯ СЕМЕНОВНА', 'Лукина', 'Лидия', 'Семеновна'],
    ['лукина лидия семёновна', 'Лукина', 'Лидия', 'Семёновна'],
    // first name first: the patronymic in second place, or the dictionary
    ['Лидия Семеновна Лукина', 'Лукина', 'Лидия', 'Семеновна'],
    ['Лидия Лукина', 'Лукина', 'Лидия', undefined],
    ['Лукина Лидия', 'Лукина', 'Лидия', undefined],
    ['Роман Бабич', 'Бабич', 'Роман', undefined],
    ['Бабич Роман', 'Бабич', 'Роман', undefined],
    ['Иван Петрович Бабич', 'Бабич', 'Иван', 'Петрович'],
    ['Лидия Семеновна', undefined, 'Лидия', 'Семеновна'],
    // initials stay initials, in any position and spacing
    ['Лукина Л. С.', 'Лукина', 'Л.', 'С.'],
    ['Лукина Л.С.', 'Лукина', 'Л.', 'С.'],
    ['Л.С. Лукина', 'Лукина', 'Л.', 'С.'],
    ['л. с. лукина', 'Лукина', 'Л.', 'С.'],
    ['Лукина Лидия С.', 'Лукина', 'Лидия', 'С.'],
    ['Лидия С. Лукина', 'Лукина', 'Лидия', 'С.'],
    ['Лукина Л.', 'Лукина', 'Л.', undefined],
    // single words
    ['Лукина', 'Лукина', undefined, undefined],
    ['Лидия', undefined, 'Лидия', undefined],
    // Latin
    ['Lidiya Lukina', 'Lukina', 'Lidiya', undefined],
    ['Lukina Lidiya', 'Lukina', 'Lidiya', undefined],
    ['LUKINA LIDIYA SEMENOVNA', 'Lukina', 'Lidiya', 'Semenovna'],
    ['Natalia Fyodorova', 'Fyodorova', 'Natalia', undefined],
    // compound and non-Slavic names
    ['Мамедов Ахмед Рза оглы', 'Мамедов', 'Ахмед', 'Рза оглы'],
    ['Салтыков-Щедрин Михаил Евграфович', 'Салтыков-Щедрин', 'Михаил', 'Евграфович'],
  ])('%j', (raw, last, first, middle) => {
    expect(parsePersonName(raw)).toEqual(parts(last, first, middle));
  });

  it('knows first names in Cyrillic and in common transliterations, and no common surname', () => {
    for (const n of [
      'Лидия',
      'Пётр',
      'Петр',
      'Алёна',
      'Natalya',
      'Yuriy',
      'Yuri',
      'Dmitry',
      'Aleksey',
      'Alexey',
      'Pyotr',
    ])
      expect(isKnownFirstName(n), n).toBe(true);
    for (const n of ['Лукина', 'Иванов', 'Попова', 'Федоров', 'Л.', 'Ivanov'])
      expect(isKnownFirstName(n), n).toBe(false);
  });

  it('folds spellings of one name onto one skeleton', () => {
    const same = [
      ['Фёдоров', 'Федоров', 'Fedorov', 'Fyodorov'],
      ['Юрий', 'Yuriy', 'Yuri', 'Jurij'],
      ['Наталья', 'Natalya', 'Natalia'],
      ['Кузнецов', 'Kuznetsov'],
      ['Михаил', 'Mikhail'],
      ['Щукин', 'Shchukin'],
      ['Соловьев', 'Solovyev', 'Solovyov'],
      ['Юрьевич', 'Yurevich', 'Yuryevich'],
      ['Татьяна', 'Tatyana', 'Tatiana'],
      ['Елена', 'Yelena', 'Elena'],
      ['Ольга', 'Olga'],
      ['Игорь', 'Igor'],
      ['Андреевич', 'Andreyevich', 'Andreevich'],
    ];
    for (const group of same) expect(new Set(group.map(nameSkeleton)), group.join()).toHaveLength(1);
    expect(nameSkeleton('Иван')).not.toBe(nameSkeleton('Ивана'));
  });
});

// Words as people type them: names from the dictionary, surnames, patronymics, initials, made-up words.
const cyrWord = fc.stringMatching(/^[А-ЯЁ][а-яё]{1,11}$/u);
const word = fc.oneof(
  cyrWord,
  fc.constantFrom(...maleFirstNames.slice(0, 40), ...femaleFirstNames.slice(0, 40)),
  fc.constantFrom('Лукина', 'Иванов', 'Бабич', 'Семеновна', 'Петрович', 'Кузьминична', 'Салтыков-Щедрин', 'оглы'),
  fc.stringMatching(/^[А-ЯЁ]\.$/u),
  fc.stringMatching(/^[A-Z][a-z]{1,9}$/u),
);
const caseOf = fc.constantFrom(
  (s: string) => s,
  (s: string) => s.toUpperCase(),
  (s: string) => s.toLowerCase(),
);
const fold = (s: string) => s.toLowerCase();

describe('parsePersonName (properties)', () => {
  it('re-joined parts hold exactly the words of the input, none lost, none invented', () => {
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 4 }),
        caseOf,
        fc.constantFrom(' ', '  ', '\u00a0'),
        (words, cased, sep) => {
          const p = parsePersonName(words.map(cased).join(sep));
          const out = [p.lastName, p.firstName, p.middleName]
            .filter((x) => x !== undefined)
            .join(' ')
            .split(' ');
          expect(out.map(fold).sort()).toEqual(words.map(fold).sort());
        },
      ),
      { examples: [[['Петрович', 'Петрович', 'А.'], (s: string) => s, ' ']] },
    ); // a repeated word was lost once
  });

  it('reads the three orders of one real-looking name the same way', () => {
    const last = fc.constantFrom('Лукина', 'Иванова', 'Кузнецова', 'Смирнова', 'Волкова', 'Семёнова');
    const first = fc.constantFrom(...femaleFirstNames);
    const middle = fc.constantFrom('Семеновна', 'Петровна', 'Ильинична', 'Сергеевна', 'Юрьевна');
    fc.assert(
      fc.property(last, first, middle, caseOf, (l, f, m, cased) => {
        const want = parsePersonName(`${l} ${f} ${m}`);
        expect(want).toEqual(parts(l, f.charAt(0).toUpperCase() + f.slice(1), m));
        expect(parsePersonName(cased(`${f} ${m} ${l}`))).toEqual(want);
        expect(parsePersonName(cased(`${l} ${f} ${m}`))).toEqual(want);
      }),
    );
  });
});
