/**
 * Match-key folding for resolution: ё→е, lower case, runs of white space (NBSP too) collapsed,
 * trimmed. Applied to keys only; display values stay as cleaned. Name words fold further, to a
 * transliteration skeleton (src/normalize/match-key.ts).
 */
export function foldKey(s: string): string {
  return s
    .normalize('NFC')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
}

/** An e-mail as a match key: trimmed and lower-cased (the normalizer already validated it). */
export function foldEmail(s: string): string {
  return s.trim().toLowerCase();
}
