/**
 * crm.item.* field names → the upper-case fields crm.company.* / crm.contact.* store and serve.
 * crm.item.* speaks camelCase (`originatorId` = ORIGINATOR_ID), but "any field names in all methods
 * can be passed in either UPPER_CASE or camelCase" (universal/index.md), so both are read. The
 * exceptions to the plain camel→snake rule are spelled out; phones and e-mails come as `fm`
 * (crm-item-add.md: `[{typeId, valueType, value}]`) or, as crm-item-import.md shows them, as
 * `PHONE`/`EMAIL` arrays of `{VALUE, VALUE_TYPE}`.
 */
import { multifieldTypes, type MultifieldType } from '../schema.js';
import { isObject } from './context.js';

export type ItemEntity = 'company' | 'contact';

/** crm.item names that do not follow the camel→snake rule (object-fields.md, how-to-add-company.md). */
const renamed: Record<ItemEntity, Record<string, string>> = { company: { TYPE_ID: 'COMPANY_TYPE' }, contact: {} };

/** `originatorId` → ORIGINATOR_ID, `ufCrm_1721244707107` → UF_CRM_1721244707107; upper-case stays. */
export function upperName(name: string): string {
  if (name === name.toUpperCase()) return name;
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export interface ItemInput {
  fields: Record<string, unknown>;
  /** Multifield items in the crm.company.add shape, ready for applyMultifield. */
  multi: Partial<Record<MultifieldType, Array<Record<string, unknown>>>>;
}

const pick = (o: Record<string, unknown>, camel: string, upper: string): unknown => o[camel] ?? o[upper];

/** Splits one crm.item `fields` object into upper-case scalar fields and multifield rows. */
export function itemInput(entity: ItemEntity, raw: Record<string, unknown>): ItemInput {
  const fields: Record<string, unknown> = {};
  const multi: ItemInput['multi'] = {};
  const push = (type: string, row: Record<string, unknown>): void => {
    const t = type.toUpperCase() as MultifieldType;
    if ((multifieldTypes as readonly string[]).includes(t)) (multi[t] ??= []).push(row);
  };
  for (const [key, value] of Object.entries(raw)) {
    const upper = upperName(key);
    if (upper === 'FM') {
      const rows = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
      for (const r of rows.filter(isObject)) {
        push(String(pick(r, 'typeId', 'TYPE_ID') ?? ''), {
          VALUE: pick(r, 'value', 'VALUE'),
          VALUE_TYPE: pick(r, 'valueType', 'VALUE_TYPE'),
        });
      }
    } else if ((multifieldTypes as readonly string[]).includes(upper)) {
      const rows = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
      for (const r of rows.filter(isObject))
        push(upper, { VALUE: pick(r, 'value', 'VALUE'), VALUE_TYPE: pick(r, 'valueType', 'VALUE_TYPE') });
    } else {
      fields[renamed[entity][upper] ?? upper] = value;
    }
  }
  return { fields, multi };
}
