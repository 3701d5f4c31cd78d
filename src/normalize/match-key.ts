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
