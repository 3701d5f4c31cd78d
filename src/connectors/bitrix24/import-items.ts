import type { WantedRow } from './multifields.js';

/**
 * Creates as items of `crm.item.batchImport` (docs/bitrix24-api-facts.md): the `crm.item` field
 * names are camelCase, multifields travel as `fm`, and a contact names its company by `companyId`.
 * At most 20 items go in one call; robots and business processes are not started for them.
 */
export const IMPORT_LIMIT = 20;

export interface ImportItem {
  entityTypeId: 3 | 4;
  fields: Record<string, unknown>;
}

/** `crm.company.*` / `crm.contact.*` field → `crm.item` field, for the fields the loader sends. */
const itemNames: Record<string, string> = {
  TITLE: 'title',
  COMPANY_TYPE: 'typeId',
  ADDRESS: 'address',
  ORIGINATOR_ID: 'originatorId',
  ORIGIN_ID: 'originId',
  NAME: 'name',
  LAST_NAME: 'lastName',
  SECOND_NAME: 'secondName',
  POST: 'post',
};

function toItem(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    const name = itemNames[k];
    if (name === undefined) throw new Error(`no crm.item name for ${k}`);
    out[name] = v;
  }
  return out;
}

const fm = (rows: readonly WantedRow[]) =>
  rows.map((r) => ({ typeId: r.type, valueType: r.valueType, value: r.value }));

export function companyItem(fields: Record<string, unknown>, rows: readonly WantedRow[]): ImportItem {
  return { entityTypeId: 4, fields: { ...toItem(fields), ...(rows.length ? { fm: fm(rows) } : {}) } };
}

/** `companyId` is the company's id, or a `$result[…]` reference to its create in the same batch. */
export function contactItem(
  fields: Record<string, unknown>,
  companyId: unknown,
  rows: readonly WantedRow[],
): ImportItem {
  return { entityTypeId: 3, fields: { ...toItem(fields), companyId, ...(rows.length ? { fm: fm(rows) } : {}) } };
}
