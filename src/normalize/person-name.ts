import { Lru } from './lru.js';
import { cleanText } from './text.js';

/**
 * A person's full name as typed into one field → its parts, with display case fixed.
 *   'Иванов Иван Иванович' → Иванов / Иван / Иванович
 *   'иванов и.и.', 'Иванов И. И.', 'И.И. Иванов' → Иванов / И. / И.
 *   'Иван Иванович Иванов' (patronymic second) → Иванов / Иван / Иванович
 *   'Ivan', 'John Smith' → first name; Latin names are read in Western order
 * Russian convention (surname first) is the default for Cyrillic; word endings decide the rest.
 */
export interface PersonName {
  lastName?: string;
  firstName?: string;
  middleName?: string;
}

const PATRONYMIC = /(?:ович|евич|ьич|ична|инична|овна|евна|оглы|кызы|угли|qizi)$/iu;
const SURNAME = /(?:ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|ой|ых|их|ко|ук|юк|ян|дзе|швили|ov|ova|ev|eva|in|ina|sky|skiy|skaya|enko)$/iu;
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
  return word
    .toLowerCase()
    .replace(/(^|[-'’\s])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
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

function shape(parts: string[]): PersonName {
  const fix = (t: string | undefined) => (t === undefined ? undefined : isInitial(t) ? initial(t) : displayCase(t));
  const [a, b, c] = parts;
  const pick = (last?: string, first?: string, middle?: string): PersonName => {
    const out: PersonName = {};
    if (last) out.lastName = fix(last);
    if (first) out.firstName = fix(first);
    if (middle) out.middleName = middle.split(' ').map((w) => fix(w)).join(' ');
    return out;
  };
  if (parts.length === 1) return SURNAME.test(a as string) && !isLatin(a as string) ? pick(a) : pick(undefined, a);
  // Initials before the surname: 'И.И. Иванов', 'И. Иванов'
  if (a && isInitial(a) && !(c === undefined && b && isInitial(b))) {
    const rest = parts.filter((t) => !isInitial(t));
    const inits = parts.filter(isInitial);
    return pick(rest.join(' '), inits[0], inits[1]);
  }
  if (parts.length === 2) {
    const [x, y] = [a as string, b as string];
    if (isInitial(y)) return pick(x, y);
    if (isLatin(x) && isLatin(y)) return SURNAME.test(x) && !SURNAME.test(y) ? pick(x, y) : pick(y, x);
    if (PATRONYMIC.test(y)) return pick(undefined, x, y);
    return SURNAME.test(y) && !SURNAME.test(x) ? pick(y, x) : pick(x, y);
  }
  // Three or more: 'Имя Отчество Фамилия' when the patronymic is second, Western order for Latin.
  if (parts.length === 3 && PATRONYMIC.test(b as string) && !PATRONYMIC.test(c as string)) return pick(c, a, b);
  if (parts.every(isLatin) && !PATRONYMIC.test(c as string) && !SURNAME.test(a as string)) {
    return pick(parts.at(-1), a, parts.slice(1, -1).join(' ') || undefined);
  }
  // 'Мамедов Ахмед Рза оглы': everything after the first name is the patronymic.
  return pick(a, b, parts.slice(2).join(' ') || undefined);
}

export function parsePersonName(raw: string | null | undefined): PersonName {
  if (!raw) return {};
  const parts = tokens(raw);
  return parts.length === 0 ? {} : shape(parts);
}
