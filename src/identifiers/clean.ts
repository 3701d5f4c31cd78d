/**
 * Cleaning of identifiers as people type them ('77 07-083 893', 'ИНН: 7707083893',
 * fullwidth digits, a Cyrillic 'А' inside a KPP) into the bare form the validators check.
 * Kept apart from validation on purpose: a cleaned value may still be invalid, and the
 * validators never guess.
 */

// Labels people prefix a value with in free-text fields.
const LABEL = /^(?:инн|кпп|огрнип|огрн|бик|р\/с|к\/с|inn|kpp|ogrnip|ogrn|bik)\s*[:№#-]?\s*/iu;
// Spaces of every kind, hyphens and dashes, dots, underscores: separators, never content.
const SEPARATORS = /[\s\u00A0\u2000-\u200D\u202F\u205F\u3000\uFEFF\-\u2010-\u2015\u2212._]/gu;
// Cyrillic letters that look like the Latin letters a KPP may carry (its 5th-6th characters).
const CYRILLIC_LOOKALIKES: Record<string, string> = {
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
};

/** Bare form of an identifier typed by a person; '' for null/blank. Idempotent. */
export function cleanIdentifier(raw: string | null | undefined): string {
  if (raw == null) return '';
  let s = raw.normalize('NFKC').trim().replace(LABEL, '');
  s = s.replace(SEPARATORS, '').toUpperCase();
  return s.replace(/[АВЕКМНОРСТУХ]/gu, (c) => CYRILLIC_LOOKALIKES[c] ?? c);
}
