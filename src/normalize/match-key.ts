/**
 * Match keys of person names (company and contact keys fold with src/resolve/fold.ts). A name
 * word's matching form: one Latin skeleton for the Cyrillic spelling and its common
 * transliterations, so "Фёдоров", "Федоров", "Fedorov" and "Fyodorov" compare equal, as do
 * "Юрий" / "Yuriy" / "Yuri" and "Наталья" / "Natalya" / "Natalia". Lossy on purpose (и, й and ы
 * fold to one letter, ш and щ too): used for match keys only, never shown.
 */
const CYRILLIC_TO_LATIN: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'i',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'h',
  ц: 'c',
  ч: 'ch',
  ш: 'sh',
  щ: 'sh',
  ъ: '',
  ы: 'i',
  ь: '',
  э: 'e',
  ю: 'iu',
  я: 'ia',
  і: 'i',
  ї: 'i',
  є: 'e',
  ґ: 'g',
};

// ь is silent (Наталья = Natalya = Natalia, Соловьев = Solovyev = Solovyov); Latin spellings
// are folded onto the skeleton of the Cyrillic letters, longest first.
const LATIN_RULES: ReadonlyArray<[RegExp, string]> = [
  [/shch|sch/g, 'sh'],
  [/tch/g, 'ch'],
  [/kh/g, 'h'],
  [/ts|tz/g, 'c'],
  [/ph/g, 'f'],
  [/x/g, 'ks'],
  [/w/g, 'v'],
  [/[yj][oe]/g, 'e'],
  [/[yj]u/g, 'iu'],
  [/[yj]a/g, 'ia'],
  [/[yj]/g, 'i'],
  [/i{2,}/g, 'i'],
];

const cache = new Map<string, string>();

export function nameSkeleton(word: string): string {
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  // NFKD splits ё into е + diaeresis and й into и + breve: both fold the way we want.
  let s = word
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}]/gu, '');
  s = [...s].map((c) => CYRILLIC_TO_LATIN[c] ?? c).join('');
  for (const [re, to] of LATIN_RULES) s = s.replace(re, to);
  if (cache.size > 50_000) cache.clear();
  cache.set(word, s);
  return s;
}
