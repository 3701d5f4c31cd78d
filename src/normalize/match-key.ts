/**
 * Match keys: aggressive folding so that spellings of one value compare equal. Never shown to
 * anyone and never written to the CRM — display values keep their case and their ё.
 */

// Latin letters that look like Cyrillic ones, swapped only inside words that also hold Cyrillic
// ("OOO Ромашкa" typed with a Latin a); purely Latin words stay Latin.
const LATIN_TO_CYRILLIC: Record<string, string> = {
  a: 'а', b: 'в', c: 'с', e: 'е', h: 'н', k: 'к', m: 'м', o: 'о', p: 'р', t: 'т', x: 'х', y: 'у',
};
const CYRILLIC = /[\u0400-\u04FF]/u;

export function matchKey(s: string | null | undefined): string {
  if (!s) return '';
  const folded = s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ё/gu, 'е')
    // quotes, punctuation and symbols separate words; they never distinguish two values
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return folded
    .split(' ')
    .map((w) => (CYRILLIC.test(w) ? w.replace(/[abcehkmoptxy]/gu, (c) => LATIN_TO_CYRILLIC[c] ?? c) : w))
    .join(' ');
}

/** Key of a person's name: the parts in a fixed order, folded. */
export function personNameKey(p: { lastName?: string; firstName?: string; middleName?: string }): string {
  return matchKey([p.lastName, p.firstName, p.middleName].filter(Boolean).join(' '));
}

/**
 * A name word's matching form: one Latin skeleton for the Cyrillic spelling and its common
 * transliterations, so "Фёдоров", "Федоров", "Fedorov" and "Fyodorov" compare equal, as do
 * "Юрий" / "Yuriy" / "Yuri" and "Наталья" / "Natalya" / "Natalia". Lossy on purpose (и, й and ы
 * fold to one letter, ш and щ too): used for match keys only, never shown.
 */
const CYRILLIC_TO_LATIN: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ж: 'zh', з: 'z', и: 'i', й: 'i', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'h', ц: 'c', ч: 'ch', ш: 'sh', щ: 'sh',
  ъ: '', ы: 'i', ь: '', э: 'e', ю: 'iu', я: 'ia', і: 'i', ї: 'i', є: 'e', ґ: 'g',
};

// ь is silent (Наталья = Natalya = Natalia, Соловьев = Solovyev = Solovyov); Latin spellings
// are folded onto the skeleton of the Cyrillic letters, longest first.
const LATIN_RULES: ReadonlyArray<[RegExp, string]> = [
  [/shch|sch/g, 'sh'], [/tch/g, 'ch'], [/kh/g, 'h'], [/ts|tz/g, 'c'], [/ph/g, 'f'], [/x/g, 'ks'], [/w/g, 'v'],
  [/[yj][oe]/g, 'e'], [/[yj]u/g, 'iu'], [/[yj]a/g, 'ia'],
  [/[yj]/g, 'i'], [/i{2,}/g, 'i'],
];

const cache = new Map<string, string>();

export function nameSkeleton(word: string): string {
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  // NFKD splits ё into е + diaeresis and й into и + breve: both fold the way we want.
  let s = word.normalize('NFKD').toLowerCase().replace(/\p{M}/gu, '').replace(/[^\p{L}]/gu, '');
  s = [...s].map((c) => CYRILLIC_TO_LATIN[c] ?? c).join('');
  for (const [re, to] of LATIN_RULES) s = s.replace(re, to);
  if (cache.size > 50_000) cache.clear();
  cache.set(word, s);
  return s;
}
