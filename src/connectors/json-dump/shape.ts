import type { RejectReason } from '../../model/reject-reasons.js';

export interface ShapeProblem {
  reason: Extract<RejectReason, 'MALFORMED_RECORD' | 'BAD_ENCODING'>;
  detail: string;
}

/**
 * The cheap check the source makes before emitting an element; the mapper's schema is the real
 * one. Catches what would otherwise surface as confusing errors later: an element that is not an
 * object, one without a `partnerId`, and text with U+FFFD.
 *
 * The encoding rule: windows-1251 maps every byte to a character except 0x98, which iconv-lite
 * decodes as U+FFFD; a U+FFFD in any string of an element therefore means bytes that are not
 * windows-1251 text, and the element is marked BAD_ENCODING. (A UTF-8 file read as windows-1251
 * decodes without U+FFFD — into mojibake such as 'РћРћРћ' — so the source refuses such a file
 * before any element reaches this check: MisdeclaredUtf8Sniffer in normalize/encoding.ts.)
 * `checkEncoding` false skips that walk when the caller knows no U+FFFD was decoded at all.
 */
export function checkShape(value: unknown, checkEncoding = true): ShapeProblem | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      reason: 'MALFORMED_RECORD',
      detail: `element is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a Partner object`,
    };
  }
  const id = (value as { partnerId?: unknown }).partnerId;
  if (typeof id !== 'string' || id.trim() === '')
    return { reason: 'MALFORMED_RECORD', detail: 'element has no partnerId string' };
  if (checkEncoding && hasReplacementChar(value))
    return { reason: 'BAD_ENCODING', detail: 'element holds bytes that are not windows-1251 text (U+FFFD)' };
  return undefined;
}

/** Walks the element with an explicit stack: a deeply nested element must not overflow ours. */
function hasReplacementChar(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (value.includes('\uFFFD')) return true;
    } else if (Array.isArray(value)) {
      for (const v of value) stack.push(v);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes('\uFFFD')) return true;
        stack.push(v);
      }
    }
  }
  return false;
}
