/**
 * Match-key folding, local to resolution until src/normalize lands: ё→е, lower case, runs of
 * white space (NBSP too) collapsed, trimmed. Applied to keys only; display values stay as cleaned.
 */
export function foldKey(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(/ё/g, 'е').replace(/[\s\u00a0]+/g, ' ').trim();
}

/** An e-mail as a match key: trimmed and lower-cased (the normalizer already validated it). */
export function foldEmail(s: string): string {
  return s.trim().toLowerCase();
}
