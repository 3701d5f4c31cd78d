/**
 * Building a record from `fields` on add and update: writable fields only (unknown ones are
 * silently dropped, as the portal does), immutable fields kept, multifields by their own rules,
 * audit fields stamped.
 */
import { isWritable, multifieldTypes, schemas, userFieldOwner, type EntityName } from '../schema.js';
import { applyMultifield } from '../multifield.js';
import type { StoredEntity } from '../store.js';
import { nowIso, scalar, type MethodContext } from './context.js';

/** Writable fields, plus the user fields defined for the entity (crm.company.userfield.add). */
function writable(entity: EntityName, ctx: MethodContext): (key: string) => boolean {
  const owner = userFieldOwner[entity];
  const defined = owner ? new Set(ctx.store.userFieldNames(owner)) : undefined;
  return (key) => isWritable(entity, key) || (defined?.has(key) ?? false);
}

export function buildNew(
  entity: EntityName,
  input: Record<string, unknown>,
  ctx: MethodContext,
): Omit<StoredEntity, 'id'> {
  const schema = schemas[entity];
  const now = nowIso();
  const fields: Record<string, string | null> = { ...schema.defaults };
  const may = writable(entity, ctx);
  for (const [k, v] of Object.entries(input)) {
    const key = k.toUpperCase();
    if (may(key)) fields[key] = scalar(v);
  }
  if (schema.fields.includes('ASSIGNED_BY_ID') && !fields.ASSIGNED_BY_ID) fields.ASSIGNED_BY_ID = ctx.userId;
  Object.assign(fields, { CREATED_BY_ID: ctx.userId, MODIFY_BY_ID: ctx.userId, DATE_CREATE: now, DATE_MODIFY: now });
  if (!schema.fields.includes('ASSIGNED_BY_ID')) {
    // requisites and bank details print DATE_MODIFY "" and MODIFY_BY_ID null until first changed
    Object.assign(fields, { DATE_MODIFY: '', MODIFY_BY_ID: null });
  }
  const multi: StoredEntity['multi'] = {};
  if (schema.hasMultifields) {
    for (const t of multifieldTypes) {
      if (input[t] !== undefined) multi[t] = applyMultifield(t, [], input[t], () => ctx.store.nextMultifieldId(), true);
    }
  }
  return { fields, multi };
}

export function applyUpdate(
  entity: EntityName,
  current: StoredEntity,
  input: Record<string, unknown>,
  ctx: MethodContext,
): StoredEntity {
  const schema = schemas[entity];
  const next: StoredEntity = structuredClone(current);
  const may = writable(entity, ctx);
  for (const [k, v] of Object.entries(input)) {
    const key = k.toUpperCase();
    if (may(key) && !schema.immutable.includes(key)) next.fields[key] = scalar(v);
  }
  if (schema.hasMultifields) {
    for (const t of multifieldTypes) {
      if (input[t] !== undefined) {
        next.multi[t] = applyMultifield(t, current.multi[t] ?? [], input[t], () => ctx.store.nextMultifieldId(), false);
      }
    }
  }
  Object.assign(next.fields, { MODIFY_BY_ID: ctx.userId, DATE_MODIFY: nowIso() });
  return next;
}
