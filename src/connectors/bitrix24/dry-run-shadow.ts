/**
 * What a dry run wrote, kept in memory so that later reads in the same run see it as a real run
 * would: entities it "created" (fake ids) answer list queries themselves, and its updates and
 * deletes of real entities are laid over the portal's rows. Without it a company created early in
 * a plan and updated later would read back as empty and show up as a person's edit (a conflict).
 */

export type CrmEntity = 'company' | 'contact' | 'requisite' | 'bankdetail';
type Row = Record<string, unknown>;

/** Every fake id (entities and multifield rows) is at least this: far above any real portal id. */
export const FAKE_ID_BASE = 1_000_000_000_000;

export const isFakeId = (v: unknown): boolean =>
  (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) && Number(v) >= FAKE_ID_BASE;

/** `crm.requisite.bankdetail.add` → bankdetail; `crm.item.*` by its entityTypeId (4 company, 3 contact). */
export function entityOf(method: string, params: Record<string, unknown> = {}): CrmEntity | undefined {
  const m = method.toLowerCase();
  if (m.startsWith('crm.requisite.bankdetail.')) return 'bankdetail';
  if (m.startsWith('crm.requisite.') && !m.startsWith('crm.requisite.preset')) return 'requisite';
  if (m.startsWith('crm.company.')) return 'company';
  if (m.startsWith('crm.contact.')) return 'contact';
  if (m.startsWith('crm.item.')) {
    const t = Number(params.entityTypeId ?? params.ENTITY_TYPE_ID);
    return t === 4 ? 'company' : t === 3 ? 'contact' : undefined;
  }
  return undefined;
}

/** `crm.item` field names (camelCase, `fm` for multifields) back to the entity's own. */
const fromItemNames: Record<string, string> = {
  title: 'TITLE',
  typeId: 'COMPANY_TYPE',
  address: 'ADDRESS',
  originatorId: 'ORIGINATOR_ID',
  originId: 'ORIGIN_ID',
  name: 'NAME',
  lastName: 'LAST_NAME',
  secondName: 'SECOND_NAME',
  post: 'POST',
  companyId: 'COMPANY_ID',
};

export function fieldsOfItem(item: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'fm' && Array.isArray(v)) {
      for (const r of v as Row[])
        ((out[String(r.typeId)] ??= []) as Row[]).push({ VALUE: r.value, VALUE_TYPE: r.valueType });
    } else out[fromItemNames[k] ?? k] = v;
  }
  return out;
}

const MULTI = ['PHONE', 'EMAIL'] as const;

export class DryRunShadow {
  private readonly created = new Map<CrmEntity, Map<number, Row>>();
  private readonly updated = new Map<string, Row[]>();
  private readonly deleted = new Set<string>();
  private nextRowId = FAKE_ID_BASE;

  create(entity: CrmEntity, id: number, fields: Row): void {
    const row: Row = { ID: String(id) };
    this.apply(row, fields);
    if (!this.created.has(entity)) this.created.set(entity, new Map());
    this.created.get(entity)!.set(id, row);
  }

  update(entity: CrmEntity, id: number, fields: Row): void {
    const own = this.created.get(entity)?.get(id);
    if (own) this.apply(own, fields);
    else this.updated.set(`${entity}:${id}`, [...(this.updated.get(`${entity}:${id}`) ?? []), fields]);
  }

  delete(entity: CrmEntity, id: number): void {
    if (!this.created.get(entity)?.delete(id)) this.deleted.add(`${entity}:${id}`);
  }

  /** A portal row as it would read after this run's writes; undefined when this run deleted it. */
  overlay(entity: CrmEntity, row: Row): Row | undefined {
    const k = `${entity}:${Number(row.ID)}`;
    if (this.deleted.has(k)) return undefined;
    const updates = this.updated.get(k);
    if (!updates) return row;
    const copy: Row = structuredClone(row);
    for (const u of updates) this.apply(copy, u);
    return copy;
  }

  /** The rows this run created that match a list filter (`@F` in, `>F`/`<F` compare, `F`/`=F` equal). */
  query(entity: CrmEntity, filter: Row): Row[] {
    return [...(this.created.get(entity)?.values() ?? [])]
      .filter((row) => matches(row, filter))
      .map((r) => structuredClone(r));
  }

  /** Scalars set; multifield items added (no ID), rewritten (ID + VALUE) or removed (ID + DELETE: Y). */
  private apply(row: Row, fields: Row): void {
    for (const [k, v] of Object.entries(fields)) {
      if (!(MULTI as readonly string[]).includes(k) || !Array.isArray(v)) {
        row[k] = v === null || v === undefined ? '' : typeof v === 'object' ? v : String(v);
        continue;
      }
      let rows = Array.isArray(row[k]) ? [...(row[k] as Row[])] : [];
      for (const item of v as Row[]) {
        const id = item.ID === undefined ? undefined : String(item.ID);
        if (id === undefined)
          rows.push({
            ID: String(this.nextRowId++),
            VALUE: String(item.VALUE ?? ''),
            VALUE_TYPE: String(item.VALUE_TYPE ?? 'WORK'),
            TYPE_ID: k,
          });
        else if (item.DELETE === 'Y') rows = rows.filter((r) => String(r.ID) !== id);
        else
          rows = rows.map((r) =>
            String(r.ID) === id
              ? { ...r, VALUE: String(item.VALUE ?? r.VALUE), VALUE_TYPE: String(item.VALUE_TYPE ?? r.VALUE_TYPE) }
              : r,
          );
      }
      row[k] = rows;
    }
  }
}

function matches(row: Row, filter: Row): boolean {
  for (const [key, want] of Object.entries(filter)) {
    const m = /^(@|!@|>=|<=|>|<|=|!)?(.+)$/.exec(key)!;
    const op = m[1] ?? '=';
    const have = String(row[m[2]!] ?? '');
    const list = (Array.isArray(want) ? want : [want]).map(String);
    const num = Number(have);
    const ok =
      op === '@'
        ? list.includes(have)
        : op === '!@'
          ? !list.includes(have)
          : op === '>'
            ? num > Number(want)
            : op === '>='
              ? num >= Number(want)
              : op === '<'
                ? num < Number(want)
                : op === '<='
                  ? num <= Number(want)
                  : op === '!'
                    ? have !== String(want)
                    : have === String(want);
    if (!ok) return false;
  }
  return true;
}
