import { createHash, hash as oneShotHash } from 'node:crypto';

/** Quoted object keys: golden records use a handful of field names, quoted once each. */
const quotedKeys = new Map<string, string>();

function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < 4096) quotedKeys.set(k, q);
  }
  return q;
}

/**
 * A JSON text with object keys sorted at every level and undefined members dropped, so equal
 * content always hashes equal whatever order fields were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i) out += ',';
      const v: unknown = value[i];
      out += v === undefined ? 'null' : typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v);
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (first) first = false;
    else out += ',';
    out += quoteKey(k);
    out += ':';
    out += typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v);
  }
  return `${out}}`;
}

/** sha256 (hex) of the canonical JSON: the "did anything the CRM sees change" check. */
export function contentHash(value: unknown): string {
  const text = canonicalJson(value);
  return typeof oneShotHash === 'function'
    ? oneShotHash('sha256', text, 'hex')
    : createHash('sha256').update(text).digest('hex');
}
