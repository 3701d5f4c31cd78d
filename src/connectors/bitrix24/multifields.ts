import type { GoldenPhone, MultifieldRow } from './types.js';

/** A row the golden record wants; compared with stored rows by normalized value. */
export interface WantedRow {
  type: 'PHONE' | 'EMAIL';
  value: string;
  valueType: string;
}

/** The extension rides in the value: the portal's duplicate search ignores it (docs/bitrix24-rest.md §8). */
export const phoneValue = (p: GoldenPhone): string => (p.ext ? `${p.e164} доб. ${p.ext}` : p.e164);

export function wantedRows(phones: readonly GoldenPhone[], emails: readonly string[]): WantedRow[] {
  return [
    ...phones.map((p) => ({
      type: 'PHONE' as const,
      value: phoneValue(p),
      valueType: p.type === 'MOBILE' ? 'MOBILE' : 'WORK',
    })),
    ...emails.map((e) => ({ type: 'EMAIL' as const, value: e, valueType: 'WORK' })),
  ];
}

const norm = (r: { type: string; value: string }): string =>
  `${r.type}:${r.value.replace(/\s+/g, ' ').trim().toLowerCase()}`;

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
        if (w && w.valueType !== row.valueType)
          (out[type] ??= []).push({ ID: String(row.id), VALUE: w.value, VALUE_TYPE: w.valueType });
      } else {
        stale.push(row);
      }
    }
    const fresh = want.filter((w, i) => !seen.has(norm(w)) && want.findIndex((x) => norm(x) === norm(w)) === i);
    fresh.forEach((w, i) => {
      const row = stale[i];
      (out[type] ??= []).push(
        row
          ? { ID: String(row.id), VALUE: w.value, VALUE_TYPE: w.valueType }
          : { VALUE: w.value, VALUE_TYPE: w.valueType },
      );
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

const TYPES = ['PHONE', 'EMAIL'] as const;

/** The rows of one type as kept in `CrmIds.sent`: one `VALUE_TYPE<TAB>VALUE` per line, sorted. */
export function encodeRows(wanted: readonly WantedRow[], type: 'PHONE' | 'EMAIL'): string {
  return wanted
    .filter((w) => w.type === type)
    .map((w) => `${w.valueType}\t${w.value}`)
    .sort()
    .join('\n');
}

function decodeRows(text: string | undefined, type: 'PHONE' | 'EMAIL'): WantedRow[] {
  if (!text) return [];
  return text.split('\n').map((line) => {
    const tab = line.indexOf('\t');
    return { type, valueType: line.slice(0, tab), value: line.slice(tab + 1) };
  });
}

/** Multifield update items from what this pipeline wrote before to what it wants now. */
export interface RowChange {
  /** Items for the update's PHONE/EMAIL fields; empty when nothing changes. */
  items: Record<string, Array<Record<string, string>>>;
  /** Row ids are needed (a value of ours to change or remove) and are not known: read them first. */
  needRows: boolean;
}

/**
 * Turns the values this pipeline last wrote (`sent`, the encoded form) into the wanted ones,
 * touching only values it wrote itself: a value a person added in the CRM is never removed.
 * Adding a value needs no row id; changing or removing one of ours needs the row ids (`rows`),
 * which are read in bulk only when such a change is due. Without a record of what was sent (a
 * state from an earlier release, an entity found by a look-up) the rows are replaced as a whole.
 */
export function rowChanges(
  sent: Record<string, string> | undefined,
  wanted: readonly WantedRow[],
  rows: readonly MultifieldRow[] | undefined,
): RowChange {
  if (!sent) {
    if (rows === undefined) return { items: {}, needRows: true };
    return { items: diffItems(rows, wanted) as RowChange['items'], needRows: false };
  }
  const items: RowChange['items'] = {};
  for (const type of TYPES) {
    const before = new Map(decodeRows(sent[type], type).map((r) => [norm(r), r]));
    const want = wanted.filter((w) => w.type === type);
    const wantKeys = new Set(want.map(norm));
    const removed = [...before.keys()].filter((k) => !wantKeys.has(k));
    const retyped = want.filter((w) => before.has(norm(w)) && before.get(norm(w))!.valueType !== w.valueType);
    const added = want.filter((w, i) => !before.has(norm(w)) && want.findIndex((x) => norm(x) === norm(w)) === i);
    if (removed.length === 0 && retyped.length === 0) {
      // Only additions: a row without ID is added and the others stay (crm-contact-update.md).
      const present = new Set((rows ?? []).filter((r) => r.type === type).map(norm));
      for (const w of added)
        if (!present.has(norm(w))) (items[type] ??= []).push({ VALUE: w.value, VALUE_TYPE: w.valueType });
      continue;
    }
    if (rows === undefined) return { items: {}, needRows: true };
    const mine = rows.filter((r) => r.type === type);
    const present = new Set(mine.map(norm));
    for (const k of removed)
      for (const r of mine) if (norm(r) === k) (items[type] ??= []).push({ ID: String(r.id), DELETE: 'Y' });
    for (const w of retyped)
      for (const r of mine)
        if (norm(r) === norm(w) && r.valueType !== w.valueType)
          (items[type] ??= []).push({ ID: String(r.id), VALUE: w.value, VALUE_TYPE: w.valueType });
    for (const w of added)
      if (!present.has(norm(w))) (items[type] ??= []).push({ VALUE: w.value, VALUE_TYPE: w.valueType });
  }
  return { items, needRows: false };
}
