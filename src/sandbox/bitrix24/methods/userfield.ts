/**
 * crm.company.userfield.add / list / get (docs/bitrix24-api-facts.md §7): custom field definitions
 * for companies. FIELD_NAME always ends up `UF_CRM_…` (the prefix added, or `UF_` replaced), upper
 * case, at most 50 characters of A-Z, 0-9 and `_`; a company then keeps and shows values of the
 * fields defined here and drops other `UF_` fields, as the portal ignores unknown fields.
 */
import { RestError, badParam } from '../envelope.js';
import { PAGE_SIZE } from '../query.js';
import type { UserFieldDef } from '../store.js';
import { isObject, requireFields, requireId, upperKeys, type MethodHandler } from './context.js';

const ENTITY_ID = 'CRM_COMPANY';
const userTypes = [
  'string',
  'integer',
  'double',
  'boolean',
  'datetime',
  'date',
  'money',
  'url',
  'address',
  'enumeration',
  'file',
  'employee',
  'crm_status',
  'iblock_section',
  'iblock_element',
  'crm',
];
// get's example answers a label map over the portal's languages; which ones a portal has is its own (a guess: two)
const languages = ['en', 'ru'];
/** crm.company.userfield.get's example for a string field (other types: only what the caller sent). */
const stringSettings = { SIZE: 20, ROWS: 1, REGEXP: '', MIN_LENGTH: 0, MAX_LENGTH: 0, DEFAULT_VALUE: '' };

const coreError = (text: string): RestError => new RestError(400, 'ERROR_CORE', text);

/** `MANAGER_NOTE` and `UF_MANAGER_NOTE` → `UF_CRM_MANAGER_NOTE`; `UF_CRM_…` stays; lower case is raised. */
export function userFieldName(raw: string): string {
  const upper = raw.toUpperCase();
  if (upper.startsWith('UF_CRM_')) return upper;
  return `UF_CRM_${upper.startsWith('UF_') ? upper.slice(3) : upper}`;
}

const flag = (v: unknown, dflt: 'Y' | 'N'): string =>
  v === undefined || v === null || v === ''
    ? dflt
    : v === true || String(v).toUpperCase() === 'Y' || v === 1 || v === '1'
      ? 'Y'
      : 'N';

function labels(v: unknown, fallback: string): Record<string, string> {
  const out = Object.fromEntries(languages.map((l) => [l, fallback]));
  if (typeof v === 'string') return Object.fromEntries(languages.map((l) => [l, v]));
  if (isObject(v)) for (const [l, text] of Object.entries(v)) out[l] = String(text ?? '');
  return out;
}

function definition(f: Record<string, unknown>): Omit<UserFieldDef, 'ID'> {
  const rawName = f.FIELD_NAME === undefined || f.FIELD_NAME === null ? '' : String(f.FIELD_NAME).trim();
  if (!rawName) throw badParam("The 'FIELD_NAME' field is not found.");
  const type = f.USER_TYPE_ID === undefined || f.USER_TYPE_ID === null ? '' : String(f.USER_TYPE_ID).trim();
  if (!type) throw badParam("The 'USER_TYPE_ID' field is not found.");
  const name = userFieldName(rawName);
  if (name.length > 50) throw coreError('Field name is too long (more than 50 characters).');
  if (!/^[A-Z0-9_]+$/.test(name))
    throw coreError('Field name contains invalid characters. Allowed characters are: A-Z, 0-9 and _.');
  if (!userTypes.includes(type)) throw coreError('Invalid custom type specified.');
  const label = f.LABEL === undefined || f.LABEL === null ? '' : String(f.LABEL);
  const sort = Number(f.SORT);
  return {
    ENTITY_ID,
    FIELD_NAME: name,
    USER_TYPE_ID: type,
    XML_ID: f.XML_ID === undefined || f.XML_ID === null || f.XML_ID === '' ? null : String(f.XML_ID),
    SORT: String(Number.isInteger(sort) && sort > 0 ? sort : 100),
    MULTIPLE: type === 'boolean' ? 'N' : flag(f.MULTIPLE, 'N'),
    MANDATORY: flag(f.MANDATORY, 'N'),
    SHOW_FILTER: flag(f.SHOW_FILTER, 'N'),
    SHOW_IN_LIST: flag(f.SHOW_IN_LIST, 'N'),
    EDIT_IN_LIST: flag(f.EDIT_IN_LIST, 'Y'),
    IS_SEARCHABLE: flag(f.IS_SEARCHABLE, 'N'),
    SETTINGS: { ...(type === 'string' ? stringSettings : {}), ...(isObject(f.SETTINGS) ? f.SETTINGS : {}) },
    EDIT_FORM_LABEL: labels(f.EDIT_FORM_LABEL, label),
    LIST_COLUMN_LABEL: labels(f.LIST_COLUMN_LABEL, label),
    LIST_FILTER_LABEL: labels(f.LIST_FILTER_LABEL, label),
    ERROR_MESSAGE: labels(f.ERROR_MESSAGE, label),
    HELP_MESSAGE: labels(f.HELP_MESSAGE, label),
  };
}

/** The list filter: plain equality on a definition's fields (no operator prefixes, as the requisite userfield docs say). */
function matches(def: UserFieldDef, filter: Record<string, unknown>): boolean {
  const fields = def as unknown as Record<string, unknown>;
  return Object.entries(filter).every(([k, v]) => {
    const key = k.toUpperCase();
    if (key === 'LANG') return true; // chooses the label language on a portal; every label is kept here
    const actual = fields[key];
    return actual !== undefined && typeof actual !== 'object' && String(actual) === String(v ?? '');
  });
}

export const userFieldMethods: Record<string, MethodHandler> = {
  'crm.company.userfield.add': (raw, ctx) => {
    const def = definition(upperKeys(requireFields(upperKeys(raw))));
    // UNCONFIRMED: the docs say the code is "unique within companies" but give no error for a repeat
    if (ctx.store.userFieldNames(ENTITY_ID).includes(def.FIELD_NAME))
      throw coreError(`Field ${def.FIELD_NAME} already exists.`);
    return { result: ctx.store.addUserField(def) };
  },
  'crm.company.userfield.get': (raw, ctx) => {
    const id = requireId(upperKeys(raw).ID);
    const def = ctx.store.userField(id);
    if (!def || def.ENTITY_ID !== ENTITY_ID)
      throw new RestError(400, 'ERROR_NOT_FOUND', `The entity with ID '${id}' is not found`);
    return { result: def };
  },
  'crm.company.userfield.list': (raw, ctx) => {
    const p = upperKeys(raw);
    const filter = isObject(p.FILTER) ? p.FILTER : {};
    const order = Object.entries(isObject(p.ORDER) ? p.ORDER : {}).map(
      ([f, d]) => [f.toUpperCase(), String(d).toUpperCase() === 'DESC' ? -1 : 1] as const,
    );
    const cmp = (a: UserFieldDef, b: UserFieldDef): number => {
      const x = a as unknown as Record<string, unknown>;
      const y = b as unknown as Record<string, unknown>;
      for (const [f, dir] of order) {
        const l = String(x[f] ?? '');
        const r = String(y[f] ?? '');
        const c = /^\d+$/.test(l) && /^\d+$/.test(r) ? Number(l) - Number(r) : l.localeCompare(r);
        if (c !== 0) return c * dir;
      }
      return Number(a.ID) - Number(b.ID);
    };
    const rows = ctx.store
      .userFields(ENTITY_ID)
      .filter((d) => matches(d, filter))
      .sort(cmp);
    const start = Math.max(0, Math.trunc(Number(p.START ?? 0)) || 0);
    const page = { result: rows.slice(start, start + PAGE_SIZE), total: rows.length } as {
      result: UserFieldDef[];
      total: number;
      next?: number;
    };
    if (start + PAGE_SIZE < rows.length) page.next = start + PAGE_SIZE;
    return page;
  },
};
