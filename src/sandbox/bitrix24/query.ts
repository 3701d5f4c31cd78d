/**
 * `filter`, `select`, `order` and `start` for the *.list methods, as list-methods-pecularities.md
 * describes them: operator prefixes on filter keys, `*` in select, pages of 50 with `total` and
 * `next`, and `start=-1` that skips the count (total 0, no next).
 */
import { schemas, multifieldTypes, type EntityName, type MultifieldType } from './schema.js';
import { renderMultifield } from './multifield.js';
import type { StoredEntity } from './store.js';

export const PAGE_SIZE = 50;
type Op = '!=%' | '!%=' | '>=' | '<=' | '!@' | '!%' | '=%' | '%=' | '!=' | '@' | '>' | '<' | '%' | '=' | '!' | '';
// longest first, so `!=%` is not read as `!=` and `!%` not as `!`
const ops: readonly Op[] = ['!=%', '!%=', '>=', '<=', '!@', '!%', '=%', '%=', '!=', '@', '>', '<', '%', '=', '!'];

function splitOp(key: string): [Op, string] {
  for (const op of ops) if (key.startsWith(op)) return [op, key.slice(op.length)];
  return ['', key];
}

const isNum = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));
function compare(a: string, b: string): number {
  if (isNum(a) && isNum(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function like(value: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${re}$`, 'is').test(value);
}

function valuesOf(rec: StoredEntity, field: string): Array<string | null> {
  if ((multifieldTypes as readonly string[]).includes(field)) {
    const rows = rec.multi[field as MultifieldType] ?? [];
    return rows.length ? rows.map((r) => r.VALUE) : [null];
  }
  if (field === 'ID') return [String(rec.id)];
  return [rec.fields[field] ?? null];
}

/** A filter value as a list, with its exact and numeric members indexed (a list filter is matched against every row). */
interface Wanted {
  list: string[];
  exact: Set<string>;
  numbers: Set<number>;
}

const wantedCache = new WeakMap<object, Wanted>();

function wantedOf(wanted: unknown): Wanted {
  const cached = wanted !== null && typeof wanted === 'object' ? wantedCache.get(wanted) : undefined;
  if (cached) return cached;
  const list = Array.isArray(wanted)
    ? wanted.map(String)
    : wanted !== null && typeof wanted === 'object'
      ? Object.values(wanted).map(String)
      : [String(wanted ?? '')];
  const w: Wanted = {
    list,
    exact: new Set(list),
    numbers: new Set(list.filter((x) => x !== '' && isNum(x)).map(Number)),
  };
  if (wanted !== null && typeof wanted === 'object') wantedCache.set(wanted, w);
  return w;
}

/** Equal as the portal compares: '' only to '', numbers by value ('007' = '7'), text exactly. */
function isIn(a: string, w: Wanted): boolean {
  if (a === '') return w.exact.has('');
  return w.exact.has(a) || (w.numbers.size > 0 && isNum(a) && w.numbers.has(Number(a)));
}

/** An array value means IN for `=`/no prefix/`@` and NOT IN for `!`/`!=`/`!@` (list-methods docs). */
function matchOne(actual: string | null, op: Op, wanted: unknown): boolean {
  const w = wantedOf(wanted);
  const list = w.list;
  const a = actual ?? '';
  switch (op) {
    case '':
    case '=':
    case '@':
      return isIn(a, w);
    case '!':
    case '!=':
    case '!@':
      return !isIn(a, w);
    case '>':
      return actual !== null && compare(a, list[0] ?? '') > 0;
    case '>=':
      return actual !== null && compare(a, list[0] ?? '') >= 0;
    case '<':
      return actual !== null && compare(a, list[0] ?? '') < 0;
    case '<=':
      return actual !== null && compare(a, list[0] ?? '') <= 0;
    case '%':
      return list.some((w) => a.toLowerCase().includes(w.toLowerCase()));
    case '=%':
    case '%=':
      return list.some((w) => like(a, w));
    case '!%':
      return !list.some((w) => a.toLowerCase().includes(w.toLowerCase()));
    case '!=%':
    case '!%=':
      return !list.some((w) => like(a, w));
  }
}

export function matchesFilter(rec: StoredEntity, filter: Record<string, unknown>): boolean {
  for (const [key, wanted] of Object.entries(filter)) {
    const [op, field] = splitOp(key);
    const actual = valuesOf(rec, field.toUpperCase());
    const negated = op.startsWith('!');
    // multifield filters match if any row matches (for negations: if no row matches the value)
    const ok = negated ? actual.every((v) => matchOne(v, op, wanted)) : actual.some((v) => matchOne(v, op, wanted));
    if (!ok) return false;
  }
  return true;
}

export function sortRecords(recs: StoredEntity[], order: Record<string, unknown>): StoredEntity[] {
  const keys = Object.entries(order).map(
    ([f, dir]) => [f.toUpperCase(), String(dir).toUpperCase() === 'DESC' ? -1 : 1] as const,
  );
  if (!keys.some(([f]) => f === 'ID')) keys.push(['ID', 1]); // a stable tie-breaker, as SQL by PK would be
  return [...recs].sort((x, y) => {
    for (const [f, dir] of keys) {
      const c = compare(valuesOf(x, f)[0] ?? '', valuesOf(y, f)[0] ?? '');
      if (c !== 0) return c * dir;
    }
    return 0;
  });
}

/**
 * One record in its read shape, limited to `select` (undefined or `*` = all scalar fields, without
 * custom ones). `UF_*` selects the user fields: every one defined (`userFields`, null when unset),
 * or, for an entity without definitions, those the record holds.
 */
export function render(
  entity: EntityName,
  rec: StoredEntity,
  select?: readonly string[],
  userFields?: readonly string[],
): Record<string, unknown> {
  const schema = schemas[entity];
  const wanted = new Set<string>();
  const sel = select && select.length ? select.map((s) => s.toUpperCase()) : ['*'];
  for (const s of sel) {
    if (s === '*') schema.fields.forEach((f) => wanted.add(f));
    else if (s === 'UF_*')
      (userFields ?? Object.keys(rec.fields).filter((f) => f.startsWith('UF_'))).forEach((f) => wanted.add(f));
    else wanted.add(s);
  }
  if (!wanted.has('ID')) wanted.add('ID'); // the id always comes back; paging by ID depends on it
  const out: Record<string, unknown> = {};
  for (const f of wanted) {
    if ((multifieldTypes as readonly string[]).includes(f)) {
      const rows = rec.multi[f as MultifieldType] ?? [];
      if (rows.length) out[f] = renderMultifield(f as MultifieldType, rows);
    } else if (f === 'HAS_PHONE' || f === 'HAS_EMAIL') {
      out[f] = (rec.multi[f.slice(4) as MultifieldType] ?? []).length ? 'Y' : 'N';
    } else if (f === 'ID') {
      out[f] = String(rec.id);
    } else if (schema.fields.includes(f) || f.startsWith('UF_') || (entity === 'requisite' && f.startsWith('RQ_'))) {
      out[f] = rec.fields[f] ?? null;
    }
  }
  return out;
}

export interface Page {
  result: Array<Record<string, unknown>>;
  total: number;
  next?: number;
}

/** Filter, order, page and render; `start=-1` returns the first page without counting. */
export function listPage(
  entity: EntityName,
  recs: StoredEntity[],
  params: Record<string, unknown>,
  userFields?: readonly string[],
): Page {
  const filter = obj(params.filter ?? params.FILTER);
  const order = obj(params.order ?? params.ORDER);
  const sel = params.select ?? params.SELECT;
  const select = Array.isArray(sel)
    ? sel.map(String)
    : sel && typeof sel === 'object'
      ? Object.values(sel).map(String)
      : undefined;
  const startRaw = Number(params.start ?? 0);
  const start = Number.isFinite(startRaw) ? Math.trunc(startRaw) : 0;
  const rows = sortRecords(
    recs.filter((r) => matchesFilter(r, filter)),
    order,
  );
  if (start < 0)
    return { result: rows.slice(0, PAGE_SIZE).map((r) => render(entity, r, select, userFields)), total: 0 };
  const page: Page = {
    result: rows.slice(start, start + PAGE_SIZE).map((r) => render(entity, r, select, userFields)),
    total: rows.length,
  };
  if (start + PAGE_SIZE < rows.length) page.next = start + PAGE_SIZE;
  return page;
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
