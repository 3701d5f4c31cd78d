import type { GoldenPhone, MultifieldRow } from './types.js';

/** A row the golden record wants; compared with stored rows by normalized value. */
export interface WantedRow {
  type: 'PHONE' | 'EMAIL';
  value: string;
  valueType: string;
}

/** The extension rides in the value: the portal's duplicate search ignores it (notes §8). */
export const phoneValue = (p: GoldenPhone): string => (p.ext ? `${p.e164} доб. ${p.ext}` : p.e164);

export function wantedRows(phones: readonly GoldenPhone[], emails: readonly string[]): WantedRow[] {
  return [
    ...phones.map((p) => ({ type: 'PHONE' as const, value: phoneValue(p), valueType: p.type === 'MOBILE' ? 'MOBILE' : 'WORK' })),
    ...emails.map((e) => ({ type: 'EMAIL' as const, value: e, valueType: 'WORK' })),
  ];
}

const norm = (r: { type: string; value: string }): string => `${r.type}:${r.value.replace(/\s+/g, ' ').trim().toLowerCase()}`;

/** New entity: every wanted row, without IDs. */
export function addItems(wanted: readonly WantedRow[]): Record<string, unknown> {
  const out: Record<string, Array<Record<string, string>>> = {};
  for (const w of wanted) (out[w.type] ??= []).push({ VALUE: w.value, VALUE_TYPE: w.valueType });
  return out;
}

/**
 * Update items that turn `current` into `wanted` (crm-contact-update.md rules): a row that stays is
 * not mentioned; a changed value rewrites a stale row by its ID; extra stale rows (and twins of a
 * kept value, left by an earlier duplicate) are deleted by ID; only genuinely new values are sent
 * without an ID. Sending a known value without its ID would duplicate it, so that never happens.
 */
export function diffItems(current: readonly MultifieldRow[], wanted: readonly WantedRow[]): Record<string, unknown> {
  const out: Record<string, Array<Record<string, string>>> = {};
  for (const type of ['PHONE', 'EMAIL'] as const) {
    const want = wanted.filter((w) => w.type === type);
    const wantKeys = new Set(want.map(norm));
    const seen = new Set<string>();
    const stale: MultifieldRow[] = [];
    for (const row of current.filter((r) => r.type === type)) {
      const k = norm(row);
      if (wantKeys.has(k) && !seen.has(k)) {
        seen.add(k);
        const w = want.find((x) => norm(x) === k);
        if (w && w.valueType !== row.valueType) (out[type] ??= []).push({ ID: String(row.id), VALUE: w.value, VALUE_TYPE: w.valueType });
      } else {
        stale.push(row);
      }
    }
    const fresh = want.filter((w, i) => !seen.has(norm(w)) && want.findIndex((x) => norm(x) === norm(w)) === i);
    fresh.forEach((w, i) => {
      const row = stale[i];
      (out[type] ??= []).push(row ? { ID: String(row.id), VALUE: w.value, VALUE_TYPE: w.valueType } : { VALUE: w.value, VALUE_TYPE: w.valueType });
    });
    for (const row of stale.slice(fresh.length)) (out[type] ??= []).push({ ID: String(row.id), DELETE: 'Y' });
  }
  return out;
}

/** Rows from a get/list answer: `PHONE: [{ID: "8303", VALUE_TYPE, VALUE, TYPE_ID}]`. */
export function readRows(entity: Record<string, unknown> | undefined): MultifieldRow[] {
  const rows: MultifieldRow[] = [];
  for (const type of ['PHONE', 'EMAIL'] as const) {
    const list = entity?.[type];
    if (!Array.isArray(list)) continue;
    for (const r of list as Array<Record<string, unknown>>) {
      rows.push({ id: Number(r.ID), type, value: String(r.VALUE ?? ''), valueType: String(r.VALUE_TYPE ?? 'WORK') });
    }
  }
  return rows;
}
