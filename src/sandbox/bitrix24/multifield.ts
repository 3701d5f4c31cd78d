/**
 * Multifields (PHONE, EMAIL, WEB, IM) with the portal's update rules (crm-contact-update.md):
 * an element without ID is added; {ID, VALUE} rewrites that row; {ID, DELETE:'Y'}, {ID, VALUE:''}
 * or a bare {ID} deletes it; rows not mentioned stay. So re-sending a phone without its ID makes a
 * duplicate row, exactly as on a real portal.
 */
import { RestError } from './envelope.js';
import type { PhpValue } from './parse-str.js';
import type { MultiRow } from './store.js';
import type { MultifieldType } from './schema.js';

const defaultValueType: Record<MultifieldType, string> = { PHONE: 'WORK', EMAIL: 'WORK', WEB: 'WORK', IM: 'OTHER' };

type Item = Record<string, unknown>;

function items(input: unknown): Item[] {
  const list = Array.isArray(input) ? input : input && typeof input === 'object' ? Object.values(input) : [];
  return list.filter((x): x is Item => typeof x === 'object' && x !== null && !Array.isArray(x));
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const emailRe = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkValue(type: MultifieldType, value: string): void {
  // The core validates e-mail syntax and answers ERROR_CORE (crm-company-add.md error table).
  if (type === 'EMAIL' && !emailRe.test(value)) {
    throw new RestError(400, 'ERROR_CORE', 'The E-mail field contains an invalid address');
  }
}

/** Applies one multifield's input to the current rows and returns the new rows. */
export function applyMultifield(
  type: MultifieldType,
  current: readonly MultiRow[],
  input: PhpValue | unknown,
  nextId: () => number,
  isAdd: boolean,
): MultiRow[] {
  const rows = current.map((r) => ({ ...r }));
  for (const item of items(input)) {
    const value = str(item.VALUE).trim();
    const valueType = str(item.VALUE_TYPE) || defaultValueType[type];
    const id = Number(str(item.ID));
    const existing = !isAdd && Number.isInteger(id) && id > 0 ? rows.findIndex((r) => r.ID === id) : -1;
    if (!isAdd && Number.isInteger(id) && id > 0) {
      if (existing < 0) continue; // an id that is not this entity's row changes nothing
      if (str(item.DELETE).toUpperCase() === 'Y' || value === '') {
        rows.splice(existing, 1);
      } else {
        checkValue(type, value);
        const row = rows[existing] as MultiRow;
        row.VALUE = value;
        if (item.VALUE_TYPE !== undefined) row.VALUE_TYPE = valueType;
      }
      continue;
    }
    if (value === '') continue; // empty new values are skipped
    checkValue(type, value);
    rows.push({ ID: nextId(), VALUE: value, VALUE_TYPE: valueType });
  }
  return rows;
}

/** The read shape: ids as strings, TYPE_ID added, as crm.*.get / list return them. */
export function renderMultifield(type: MultifieldType, rows: readonly MultiRow[]): Array<Record<string, string>> {
  return rows.map((r) => ({ ID: String(r.ID), VALUE_TYPE: r.VALUE_TYPE, VALUE: r.VALUE, TYPE_ID: type }));
}
