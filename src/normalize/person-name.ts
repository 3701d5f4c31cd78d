import { Lru } from './lru.js';
import { nameSkeleton } from './match-key.js';
import { cleanText } from './text.js';

/**
 * A person's full name as typed into one field → its parts, with display case fixed.
 *   'Иванов Иван Иванович' → Иванов / Иван / Иванович
 *   'иванов и.и.', 'Иванов И. И.', 'И.И. Иванов' → Иванов / И. / И.
 *   'Иван Иванович Иванов' (patronymic second) → Иванов / Иван / Иванович
 *   'Лидия Лукина', 'Lukina Lidiya' → Лукина / Лидия (a first-name dictionary decides the order)
 *   'Ivan', 'John Smith' → first name; Latin names are read in Western order
 * Russian convention (surname first) is the default for Cyrillic; patronymic endings, the
 * dictionary of first names (at the end of this file) and surname endings decide the rest. An
 * initial stays an initial ("Л."): it is never taken for a first name when matching.
 */
export interface PersonName {
  lastName?: string;
  firstName?: string;
  middleName?: string;
}

const PATRONYMIC = /(?:ович|евич|ьич|ична|инична|овна|евна|оглы|кызы|угли|qizi)$/iu;
const SURNAME =
  /(?:ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|ой|ых|их|ко|ук|юк|ян|дзе|швили|ov|ova|ev|eva|in|ina|sky|skiy|skaya|enko)$/iu;
const INITIAL = /^\p{L}\.?$/u;
const INITIALS_GLUED = /^(\p{L})\.(\p{L})\.?$/u; // 'И.И.' or 'И.И'

// Name particles written in lower case inside a name ('Рза оглы', 'van', 'de').
const PARTICLES = new Set(['оглы', 'кызы', 'угли', 'van', 'von', 'de', 'der', 'da', 'di', 'la', 'le']);

/**
 * 'иванов' → 'Иванов', 'РИМСКИЙ-КОРСАКОВ' / 'Римский-корсаков' → 'Римский-Корсаков'. A capital
 * after a small letter inside a word ('McDonald', 'DeLaCruz') means someone chose that case: kept.
 */
export function displayCase(word: string): string {
  return caseCache.get(word, casedWord);
}

// Names repeat (Иванов, Сергей, Ивановна…): cased words are kept in a bounded LRU (see lru.ts).
const caseCache = new Lru<string>(20_000);

function casedWord(word: string): string {
  if (/\p{Ll}\p{Lu}/u.test(word)) return word;
  if (PARTICLES.has(word.toLowerCase())) return word.toLowerCase();
  return word.toLowerCase().replace(/(^|[-'’\s])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

function initial(token: string): string {
  return `${token.charAt(0).toUpperCase()}.`;
}

function tokens(raw: string): string[] {
  const text = cleanText(raw)
    .replace(/\([^)]*\)/gu, ' ') // '(менеджер)', '(бухгалтер)' — not part of the name
    .replace(/[,;]+/gu, ' ')
    .replace(/\.(?=\p{L})/gu, '. '); // 'и.и.' stays glued only for the initials check below
  const out: string[] = [];
  for (const t of text.split(/\s+/u).filter(Boolean)) {
    const glued = INITIALS_GLUED.exec(t.replace(/\.\s+/gu, '.'));
    if (glued) out.push(`${glued[1]}.`, `${glued[2]}.`);
    else out.push(t);
  }
  return out;
}

const isInitial = (t: string) => INITIAL.test(t) && (t.endsWith('.') || t.length === 1);
const isLatin = (t: string) => /^[A-Za-z'’-]+\.?$/u.test(t);

// First names by their matching form, so transliterations ("Lidiya", "Natalia") are found too.
let firstNames: Set<string> | undefined;

/** A given name from the dictionary (`maleFirstNames`, `femaleFirstNames` below), in Cyrillic or transliterated. */
export function isKnownFirstName(word: string): boolean {
  firstNames ??= new Set([...maleFirstNames, ...femaleFirstNames].map(nameSkeleton));
  return !isInitial(word) && firstNames.has(nameSkeleton(word));
}

/** "Семеновна", "Ильич", "Рза оглы"'s "оглы": a patronymic ending on a word longer than the ending. */
export function isPatronymic(word: string): boolean {
  return word.length > 4 && PATRONYMIC.test(word) && !isKnownFirstName(word);
}

/** A word with a Russian surname ending ("Лукина", "sokolova", "Shevchenko") that is no known first name. */
export const looksLikeSurname = (t: string) => SURNAME.test(t) && !isKnownFirstName(t);

function fix(t: string): string {
  return isInitial(t) ? initial(t) : displayCase(t);
}

function pick(last: string[], first: string[], middle: string[]): PersonName {
  const out: PersonName = {};
  if (last.length) out.lastName = last.map(fix).join(' ');
  if (first.length) out.firstName = first.map(fix).join(' ');
  if (middle.length) out.middleName = middle.map(fix).join(' ');
  return out;
}

/**
 * Initials with one or more words: the words are the surname unless one of them is a known first
 * name or a patronymic ("Лидия С. Лукина"); initials fill the first and middle name in order.
 */
function withInitials(parts: string[]): PersonName {
  const words = parts.filter((t) => !isInitial(t));
  const inits = parts.filter(isInitial);
  // By position, not by value: a word may come twice ("Петрович Петрович А.").
  const firstAt = words.length > 1 ? words.findIndex(isKnownFirstName) : -1;
  const middleAt = words.length > 1 ? words.findIndex((w, i) => i !== firstAt && isPatronymic(w)) : -1;
  const first = firstAt >= 0 ? [words[firstAt]!] : [];
  const middle = middleAt >= 0 ? [words[middleAt]!] : [];
  const last = words.filter((_, i) => i !== firstAt && i !== middleAt);
  const firstOut = first.length ? first : inits.slice(0, 1);
  const restInits = first.length ? inits : inits.slice(1);
  return pick(last, firstOut, [...middle, ...restInits]);
}

function two(x: string, y: string): PersonName {
  if (isLatin(x) && isLatin(y) && !isKnownFirstName(x) && !isKnownFirstName(y)) {
    return looksLikeSurname(x) && !looksLikeSurname(y) ? pick([x], [y], []) : pick([y], [x], []);
  }
  if (isPatronymic(y) && !isPatronymic(x)) return pick([], [x], [y]); // 'Лидия Семеновна'
  const fx = isKnownFirstName(x);
  const fy = isKnownFirstName(y);
  if (fx !== fy) return fx ? pick([y], [x], []) : pick([x], [y], []);
  if (isLatin(x) && isLatin(y))
    return looksLikeSurname(x) && !looksLikeSurname(y) ? pick([x], [y], []) : pick([y], [x], []);
  return looksLikeSurname(y) && !looksLikeSurname(x) ? pick([y], [x], []) : pick([x], [y], []);
}

/**
 * Three words or more. A patronymic fixes the order: second word → 'Имя Отчество Фамилия',
 * last word (or 'оглы'/'кызы' after it) → 'Фамилия Имя Отчество'. Without one, a known first
 * name in front means 'Имя [Отчество] Фамилия' for Latin, otherwise Russian order is assumed.
 */
function many(parts: string[]): PersonName {
  const [a, b, c] = parts as [string, string, string];
  if (parts.length === 3 && isPatronymic(b) && (!isPatronymic(c) || isKnownFirstName(a))) return pick([c], [a], [b]);
  if (isPatronymic(c) || PARTICLES.has(parts.at(-1)!.toLowerCase())) return pick([a], [b], parts.slice(2));
  if (parts.every(isLatin) && !looksLikeSurname(a) && (isKnownFirstName(a) || !isKnownFirstName(b))) {
    return pick([parts.at(-1)!], [a], parts.slice(1, -1));
  }
  if (isKnownFirstName(a) && !isKnownFirstName(b) && parts.length === 3 && looksLikeSurname(c))
    return pick([c], [a], [b]);
  return pick([a], [b], parts.slice(2));
}

function shape(parts: string[]): PersonName {
  const a = parts[0]!;
  if (parts.length === 1) {
    if (isInitial(a)) return pick([], [a], []);
    if (isLatin(a)) return pick([], [a], []);
    return isKnownFirstName(a) || (!looksLikeSurname(a) && !isPatronymic(a)) ? pick([], [a], []) : pick([a], [], []);
  }
  if (parts.some(isInitial)) return withInitials(parts);
  if (parts.length === 2) return two(a, parts[1]!);
  return many(parts);
}

export function parsePersonName(raw: string | null | undefined): PersonName {
  if (!raw) return {};
  const parts = tokens(raw);
  return parts.length === 0 ? {} : shape(parts);
}

/**
 * Common Russian given names (full forms, lower case, ё written as е), used to tell a first name
 * from a surname when a full name arrives in one field in no fixed order ("Лидия Лукина").
 *
 * Source: compiled by hand from the given names listed in ru.wikipedia.org, «Список русских
 * личных имён» (CC BY-SA 4.0), keeping the names in current use and leaving out those that are
 * also frequent surnames or ordinary words (Роман stays: the surname is rare). Not exhaustive: a
 * name missing here falls back to patronymic and surname endings, so the list only has to cover
 * the common cases. Add names, never surnames.
 */
export const maleFirstNames: readonly string[] = [
  'август',
  'авдей',
  'аверкий',
  'адам',
  'адриан',
  'аким',
  'александр',
  'алексей',
  'альберт',
  'анатолий',
  'андрей',
  'антон',
  'аркадий',
  'арсений',
  'артем',
  'артур',
  'афанасий',
  'богдан',
  'борис',
  'вадим',
  'валентин',
  'валерий',
  'василий',
  'вениамин',
  'виктор',
  'виталий',
  'влад',
  'владимир',
  'владислав',
  'всеволод',
  'вячеслав',
  'гавриил',
  'геннадий',
  'георгий',
  'герман',
  'глеб',
  'гордей',
  'григорий',
  'давид',
  'даниил',
  'данила',
  'демид',
  'демьян',
  'денис',
  'дмитрий',
  'евгений',
  'егор',
  'елисей',
  'емельян',
  'ефим',
  'захар',
  'зиновий',
  'иван',
  'игнат',
  'игорь',
  'илья',
  'иннокентий',
  'иосиф',
  'ираклий',
  'кирилл',
  'клим',
  'константин',
  'кузьма',
  'лаврентий',
  'лев',
  'леонид',
  'леонтий',
  'лука',
  'макар',
  'максим',
  'марат',
  'марк',
  'матвей',
  'мирон',
  'мирослав',
  'михаил',
  'назар',
  'никита',
  'никифор',
  'николай',
  'олег',
  'остап',
  'павел',
  'петр',
  'платон',
  'прохор',
  'радик',
  'ринат',
  'роберт',
  'родион',
  'роман',
  'ростислав',
  'руслан',
  'рустам',
  'савва',
  'савелий',
  'святослав',
  'семен',
  'сергей',
  'серафим',
  'станислав',
  'степан',
  'тарас',
  'тимофей',
  'тимур',
  'тихон',
  'трофим',
  'федор',
  'феликс',
  'филипп',
  'эдуард',
  'эльдар',
  'эмиль',
  'эрик',
  'юлиан',
  'юрий',
  'яков',
  'ян',
  'ярослав',
  // frequent in Russian companies, from neighbouring name traditions
  'азат',
  'айдар',
  'алмаз',
  'анвар',
  'арсен',
  'артур',
  'ахмед',
  'булат',
  'гусейн',
  'дамир',
  'ильдар',
  'ильнур',
  'ильяс',
  'камиль',
  'мурат',
  'нариман',
  'рамиль',
  'рафаэль',
  'ренат',
  'рашид',
  'рустем',
  'тагир',
  'фарид',
  'шамиль',
];

export const femaleFirstNames: readonly string[] = [
  'агата',
  'агния',
  'ада',
  'аделина',
  'алевтина',
  'александра',
  'алена',
  'алина',
  'алиса',
  'алла',
  'альбина',
  'анастасия',
  'ангелина',
  'анжела',
  'анна',
  'антонина',
  'арина',
  'валентина',
  'валерия',
  'варвара',
  'василиса',
  'вера',
  'вероника',
  'виктория',
  'виолетта',
  'галина',
  'дарина',
  'дарья',
  'диана',
  'дина',
  'ева',
  'евгения',
  'евдокия',
  'екатерина',
  'елена',
  'елизавета',
  'жанна',
  'зинаида',
  'злата',
  'зоя',
  'инга',
  'инна',
  'ирина',
  'карина',
  'кира',
  'клавдия',
  'кристина',
  'ксения',
  'лариса',
  'лидия',
  'лилия',
  'любовь',
  'людмила',
  'майя',
  'маргарита',
  'марина',
  'мария',
  'марьяна',
  'милана',
  'милена',
  'надежда',
  'наталия',
  'наталья',
  'нина',
  'нонна',
  'оксана',
  'ольга',
  'полина',
  'раиса',
  'регина',
  'римма',
  'светлана',
  'снежана',
  'софия',
  'софья',
  'стефания',
  'таисия',
  'тамара',
  'татьяна',
  'ульяна',
  'фаина',
  'элеонора',
  'элина',
  'эльвира',
  'эмилия',
  'юлия',
  'яна',
  'ярослава',
  'айгуль',
  'алсу',
  'альфия',
  'гузель',
  'гульнара',
  'диляра',
  'зарина',
  'зульфия',
  'камила',
  'лейла',
  'лейсан',
  'наиля',
  'рената',
  'фатима',
  'эльмира',
];
