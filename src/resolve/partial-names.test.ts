import { describe, expect, it } from 'vitest';
import type { CanonicalChange, Contact } from '../model/index.js';
import { parsePersonName } from '../normalize/person-name.js';
import { goldenContacts } from '../state/helpers.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { at, company, contact, del, line, mobile, person, upsert } from './fixtures.js';
import { initialOf, joinPartialNames } from './partial-names.js';
import { Resolver } from './resolver.js';

/**
 * Partial names (initials, a first name alone) join the one cluster of the company with a full
 * name they fit, and nothing when two fit (README, "Rules").
 */

const INN = '7707083893';
const co = upsert(company({ sourceId: '1' }));

/** A contact record from a name in one field (as the mappers split it) and its channels. */
const rec = (sourceId: string, name: string, over: Partial<Contact> = {}): CanonicalChange =>
  person(contact({ sourceId, ...parsePersonName(name), ...over }));

async function resolveAll(changes: readonly CanonicalChange[]): Promise<string[][]> {
  const store = new MemoryStateStore();
  const resolver = new Resolver(store, { now: () => new Date('2024-06-01T00:00:00Z') });
  let n = 0;
  for (const c of changes) await resolver.resolve(c, { ref: `p0@${n++}` });
  await resolver.flush();
  const out: string[][] = [];
  for await (const c of goldenContacts(store, INN)) {
    if (c.status === 'active')
      out.push(
        Object.keys(c.contributions)
          .map((k) => k.slice('shop-a|'.length))
          .sort(),
      );
  }
  return out.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

describe('initials of names', () => {
  it.each([
    ['Юрий', 'iu'],
    ['Yuriy', 'iu'],
    ['Ю.', 'iu'],
    ['Иван', 'i'],
    ['И.', 'i'],
    ['Ivan', 'i'],
    ['Жанна', 'zh'],
    ['Zhanna', 'zh'],
    ['Ж.', 'zh'],
    ['Ёлкин', 'e'],
    ['Елена', 'e'],
    ['Yelena', 'e'],
    ['Яна', 'ia'],
    ['Yana', 'ia'],
    ['Чернов', 'ch'],
    ['Chernov', 'ch'],
    ['', ''],
  ])('%s → %s', (name, init) => {
    expect(initialOf(name)).toBe(init);
  });
});

describe('joining partial names to the one full name they fit', () => {
  const lidia = rec('full', 'Лукина Лидия Семёновна', { emails: ['lidia@x.ru'] });
  const cases: Array<[string, CanonicalChange[], string[][]]> = [
    ['"Лукина Л. С." joins the only "Лукина Лидия Семёновна"', [lidia, rec('i', 'Лукина Л. С.')], [['full', 'i']]],
    ['"Л.С. Лукина", upper case and ё/е folded', [lidia, rec('i', 'Л.С. ЛУКИНА')], [['full', 'i']]],
    [
      'initials without patronymic, and a full name without one',
      [rec('full', 'Лукина Лидия'), rec('i', 'Лукина Л.')],
      [['full', 'i']],
    ],
    [
      'initials join a full name written in Latin',
      [rec('full', 'Yulia Semenova', { emails: ['y@x.ru'] }), rec('i', 'Семёнова Ю.')],
      [['full', 'i']],
    ],
    ['another first initial: apart', [lidia, rec('i', 'Лукина М. С.')], [['full'], ['i']]],
    ['another patronymic initial: apart', [lidia, rec('i', 'Лукина Л. П.')], [['full'], ['i']]],
    ['another surname: apart', [lidia, rec('i', 'Лунина Л. С.')], [['full'], ['i']]],
    [
      '"Иванов И." with "Иванов Иван" and "Иванов Игорь": ambiguous, joins none',
      [rec('ivan', 'Иванов Иван Петрович'), rec('igor', 'Иванов Игорь Петрович'), rec('i', 'Иванов И. П.')],
      [['i'], ['igor'], ['ivan']],
    ],
    [
      '"И." is not "Юрий" (initials compare by letter, not by transliteration prefix)',
      [rec('yuri', 'Иванов Юрий Петрович'), rec('i', 'Иванов И. П.')],
      [['i'], ['yuri']],
    ],
    [
      'namesakes told apart by their mobiles: initials join neither',
      [
        rec('n1', 'Лукина Лидия Семёновна', { phones: [mobile('+79160000001')] }),
        rec('n2', 'Лукина Лидия Семёновна', { phones: [mobile('+79160000002')] }),
        rec('i', 'Лукина Л. С.'),
      ],
      [['i'], ['n1'], ['n2']],
    ],
    [
      'father and son: the patronymic initial picks one, no patronymic initial joins none',
      [
        rec('father', 'Орлов Иван Петрович', { phones: [mobile('+79160000001')] }),
        rec('son', 'Орлов Иван Иванович', { phones: [mobile('+79160000002')] }),
        rec('ip', 'Орлов И. П.'),
        rec('ii', 'Орлов И.И.'),
        rec('i', 'Орлов И.'),
      ],
      [['father', 'ip'], ['i'], ['ii', 'son']],
    ],
    [
      'initials with a mobile of their own stay apart from a full name with another mobile',
      [
        rec('full', 'Лукина Лидия Семёновна', { phones: [mobile('+79160000001')] }),
        rec('i', 'Лукина Л. С.', { phones: [mobile('+79160000002')] }),
      ],
      [['full'], ['i']],
    ],
    [
      'two initials clusters told apart by their extensions do not both join one full name',
      [
        lidia,
        rec('i1', 'Лукина Л. С.', { phones: [line('+74955550000', '101')] }),
        rec('i2', 'Лукина Л. С.', { phones: [line('+74955550000', '102')] }),
      ],
      [['full'], ['i1'], ['i2']],
    ],
    [
      'a first name alone joins the only person with that first name',
      [lidia, rec('ivan', 'Иванов Иван Петрович'), rec('f', 'Лидия')],
      [['f', 'full'], ['ivan']],
    ],
    [
      'a first name alone written in the last-name field joins too',
      [lidia, person(contact({ sourceId: 'f', lastName: 'Лидия' }))],
      [['f', 'full']],
    ],
    [
      'a first name alone with two people of that first name: joins none',
      [lidia, rec('other', 'Петрова Лидия Ивановна'), rec('f', 'Лидия')],
      [['f'], ['full'], ['other']],
    ],
    [
      'a first name alone while an unjoined "Петрова Л. А." may be that person too: joins none',
      [lidia, rec('pl', 'Петрова Л. А.'), rec('f', 'Лидия')],
      [['f'], ['full'], ['pl']],
    ],
    [
      'a first name alone whose e-mail spells another surname: joins none',
      [lidia, rec('f', 'Лидия', { emails: ['lidia.sokolova@x.ru'] })],
      [['f'], ['full']],
    ],
    [
      'a first name alone whose e-mail spells that surname joins',
      [lidia, rec('f', 'Лидия', { emails: ['l.lukina@y.ru'] })],
      [['f', 'full']],
    ],
    [
      "a cluster's name without patronymic does not fit when its other names give another patronymic",
      [
        rec('en', 'Попова Елена Николаевна', { emails: ['e1@x.ru'] }),
        rec('e', 'Попова Елена', { emails: ['e1@x.ru'] }),
        rec('ei', 'Попова Елена Ивановна', { emails: ['e2@x.ru'] }),
        rec('i', 'Попова Е. И.'),
      ],
      [
        ['e', 'en'],
        ['ei', 'i'],
      ],
    ],
    [
      'a full name told apart by numbers is no candidate: the other one is the only fit',
      [
        rec('petr', 'Орлов Иван Петрович', { phones: [line('+74955550000', '101')] }),
        rec('pavel', 'Орлов Иван Павлович', { phones: [mobile('+79160000002')] }),
        rec('i', 'Орлов И. П.', { phones: [line('+74955550000', '102')] }),
      ],
      [['i', 'pavel'], ['petr']],
    ],
    [
      '...and when numbers tell both apart, none',
      [
        rec('petr', 'Орлов Иван Петрович', { phones: [mobile('+79160000001')] }),
        rec('pavel', 'Орлов Иван Павлович', { phones: [mobile('+79160000002')] }),
        rec('i', 'Орлов И. П.', { phones: [mobile('+79160000003')] }),
      ],
      [['i'], ['pavel'], ['petr']],
    ],
    [
      'initials no full name fits: the same surname and initials are one person',
      [
        rec('a', 'Лебедев О. И.', { emails: ['o@x.ru'] }),
        rec('b', 'О.И. Лебедев', { phones: [mobile('+79160000001')] }),
        rec('c', 'Лебедев О.'),
        rec('d', 'Лебедев О. П.'),
      ],
      [['a', 'b'], ['c'], ['d']],
    ],
    [
      '...unless numbers tell them apart',
      [
        rec('a', 'Лебедев О. И.', { phones: [mobile('+79160000001')] }),
        rec('b', 'Лебедев О. И.', { phones: [mobile('+79160000002')] }),
      ],
      [['a'], ['b']],
    ],
    [
      'a surname alone joins nothing',
      [lidia, person(contact({ sourceId: 's', lastName: 'Лукина' }))],
      [['full'], ['s']],
    ],
  ];

  it.each(cases)('%s', async (_name, changes, expected) => {
    expect(await resolveAll([co, ...changes])).toEqual(expected);
  });

  it.each(cases)('does not depend on arrival order: %s (reversed)', async (_name, changes, expected) => {
    expect(await resolveAll([...changes].reverse().concat(co))).toEqual(expected);
  });

  it('re-clusters when the company changes: a namesake arriving later takes the initials back out, its delete joins them again', async () => {
    const store = new MemoryStateStore();
    const resolver = new Resolver(store, { now: () => new Date('2024-06-01T00:00:00Z') });
    let n = 0;
    const feed = async (c: CanonicalChange) => resolver.resolve(c, { ref: `p0@${n++}` });
    const active = async () => {
      const out: string[][] = [];
      for await (const c of goldenContacts(store, INN))
        if (c.status === 'active') out.push(Object.keys(c.contributions).sort());
      return out.sort();
    };
    await feed(co);
    await feed(rec('n1', 'Лукина Лидия Семёновна', { phones: [mobile('+79160000001')], changedAt: at(1) }));
    await feed(rec('i', 'Лукина Л. С.', { changedAt: at(2) }));
    expect(await active()).toEqual([['shop-a|i', 'shop-a|n1']]);
    await feed(rec('n2', 'Лукина Лидия Семёновна', { phones: [mobile('+79160000002')], changedAt: at(3) }));
    expect(await active()).toEqual([['shop-a|i'], ['shop-a|n1'], ['shop-a|n2']]);
    await feed(del('contact', 'shop-a', 'n2', at(4)));
    expect(await active()).toEqual([['shop-a|i', 'shop-a|n1']]);
  });
});

describe('joinPartialNames', () => {
  const contacts: Record<string, Pick<Contact, 'lastName' | 'firstName' | 'middleName'>> = {
    a: { lastName: 'Лукина', firstName: 'Лидия', middleName: 'Семёновна' },
    b: { lastName: 'Лукина', firstName: 'Л.', middleName: 'С.' },
    c: { lastName: 'Орлов', firstName: 'Иван' },
  };
  const keys = () => [];

  it('returns the components as they are when nothing is partial', () => {
    const comps = [['a'], ['c']];
    expect(joinPartialNames(comps, keys, (id) => contacts[id]!)).toBe(comps);
  });

  it('merges and keeps the form of connectedComponents (sorted members, sorted by first member)', () => {
    expect(joinPartialNames([['b'], ['c'], ['a']], keys, (id) => contacts[id]!)).toEqual([['a', 'b'], ['c']]);
  });
});
