/**
 * crm.item.import and crm.item.batchImport (crm/universal/import/*) for contacts (3) and companies
 * (4), stored as the same records crm.contact.* / crm.company.* serve. batchImport takes at most
 * 20 items (more: 400 MAX_IMPORT_BATCH_SIZE_EXCEEDED, nothing imported) and answers
 * `{items: [...]}` in the order of `data`, each `{item: {id}}` or that item's own
 * `{error, error_description}`; the other items are still created.
 */
import { RestError } from '../envelope.js';
import type { StoredEntity } from '../store.js';
import { isObject, upperKeys, type MethodContext, type MethodHandler, type Params } from './context.js';
import { buildNew } from './entity-writer.js';
import { itemInput, type ItemEntity } from './item-fields.js';

export const MAX_IMPORT = 20;

const types: Record<string, ItemEntity> = { '3': 'contact', '4': 'company' };

// Documented for an invalid entityTypeId. Leads, deals, quotes, invoices and SPAs are importable
// on a real portal, but the emulator keeps none of them, so it answers them the same way.
const typeNotFound = (): RestError => new RestError(400, 'NOT_FOUND', 'Smart process not found');
// Field errors use the documented code; the exact text per field is a guess in the documented pattern.
const notValid = (field: string): RestError =>
  new RestError(400, 'CRM_FIELD_ERROR_VALUE_NOT_VALID', `Invalid value for field "${field}"`);
// UNCONFIRMED: no text is documented for a missing `fields`/`data`; crm.item.* uses INVALID_ARG_VALUE.
const badArg = (name: string): RestError =>
  new RestError(400, 'INVALID_ARG_VALUE', `Parameter '${name}' must be array`);

function entityOf(params: Params): ItemEntity {
  const entity = types[String(params.ENTITYTYPEID ?? '').trim()];
  if (!entity) throw typeNotFound();
  return entity;
}

const companyIds = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : isObject(v) ? Object.values(v) : v == null || v === '' ? [] : [v];

/** A contact's company links must name existing companies (a failed `$result[...]` stays text). */
function checkCompanies(fields: Record<string, unknown>, ctx: MethodContext): void {
  const ids = [...companyIds(fields.COMPANY_ID), ...companyIds(fields.COMPANY_IDS)];
  for (const id of ids) {
    const n = Number(id);
    if (!Number.isInteger(n) || n <= 0 || !ctx.store.get('company', n)) throw notValid('Company');
  }
  if (!fields.COMPANY_ID && ids.length) fields.COMPANY_ID = ids[0]; // the first link becomes primary
}

/** Imports one item; a RestError is that item's own failure. */
function importOne(entity: ItemEntity, raw: unknown, ctx: MethodContext): number {
  const { fields, multi } = itemInput(entity, isObject(raw) ? raw : {});
  if (entity === 'contact') checkCompanies(fields, ctx);
  let rec: Omit<StoredEntity, 'id'>;
  try {
    rec = buildNew(entity, { ...fields, ...multi }, ctx);
  } catch (err) {
    // crm.company.add reports a bad e-mail as ERROR_CORE; crm.item.* validates fields (a guess)
    if (err instanceof RestError && err.code === 'ERROR_CORE') throw notValid('E-mail');
    throw err;
  }
  if (entity === 'contact' && !rec.fields.NAME && !rec.fields.LAST_NAME) {
    // "When creating a contact with empty name and lastName, Bitrix24 assigns a default name"
    // (how-to-make-contact-edit-card.md); the default's text is a guess.
    rec.fields.NAME = 'Untitled';
  }
  const id = ctx.store.add(entity, rec.fields, rec.multi);
  if (entity === 'company' && !rec.fields.TITLE) {
    // crm-item-add.md: the title defaults to `{entityTypeName} #{id}`, e.g. 'Company #13'
    const stored = ctx.store.get('company', id) as StoredEntity;
    ctx.store.put('company', { ...stored, fields: { ...stored.fields, TITLE: `Company #${id}` } });
  }
  return id;
}

export const importMethods: Record<string, MethodHandler> = {
  'crm.item.import': (raw, ctx) => {
    const params = upperKeys(raw);
    const entity = entityOf(params);
    if (!isObject(params.FIELDS)) throw badArg('fields');
    return { result: { item: { id: importOne(entity, params.FIELDS, ctx) } }, writes: 1 };
  },
  'crm.item.batchimport': (raw, ctx) => {
    const params = upperKeys(raw);
    const entity = entityOf(params);
    const data = Array.isArray(params.DATA)
      ? params.DATA
      : isObject(params.DATA)
        ? Object.values(params.DATA)
        : undefined;
    if (!data) throw badArg('data');
    if (data.length > MAX_IMPORT) {
      throw new RestError(400, 'MAX_IMPORT_BATCH_SIZE_EXCEEDED', `You cannot import more than ${MAX_IMPORT} items`);
    }
    let writes = 0;
    const items = data.map((item) => {
      try {
        const id = importOne(entity, item, ctx);
        writes++;
        return { item: { id } };
      } catch (err) {
        if (!(err instanceof RestError)) throw err;
        return err.toBody();
      }
    });
    return { result: { items }, writes };
  },
};
