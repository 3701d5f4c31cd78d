/**
 * crm.company.* and crm.contact.*: add, update, get, list, delete, with the texts the docs give
 * for each failure (they differ per method and per entity, so they are spelled out here).
 */
import { RestError, badParam } from '../envelope.js';
import { listPage, render } from '../query.js';
import { multifieldTypes, userFieldOwner } from '../schema.js';
import type { PortalStore } from '../store.js';
import { isObject, requireFields, requireId, scalar, upperKeys, type MethodHandler } from './context.js';
import { applyUpdate, buildNew } from './entity-writer.js';

type CrmEntity = 'company' | 'contact';

const notFound = {
  company: { get: 'Not found', update: 'Company is not found', delete: () => badParam('Company is not found') },
  contact: {
    get: 'Not found',
    update: 'Contact is not found',
    delete: () => new RestError(400, 'ERROR_CORE', 'Element not found'),
  },
};

/** Deleting an owner takes its requisites and their bank details with it. */
export function deleteRequisitesOf(store: PortalStore, entityTypeId: number, entityId: number): void {
  for (const rq of store.all('requisite')) {
    if (rq.fields.ENTITY_TYPE_ID === String(entityTypeId) && rq.fields.ENTITY_ID === String(entityId)) {
      for (const bd of store.all('bankdetail'))
        if (bd.fields.ENTITY_ID === String(rq.id)) store.remove('bankdetail', bd.id);
      store.remove('requisite', rq.id);
    }
  }
}

export function crmEntityMethods(entity: CrmEntity): Record<string, MethodHandler> {
  const prefix = `crm.${entity}`;
  return {
    [`${prefix}.add`]: (raw, ctx) => {
      const fields = requireFields(upperKeys(raw));
      const rec = buildNew(entity, fields, ctx);
      if (entity === 'contact' && !rec.fields.COMPANY_ID) {
        // COMPANY_IDS is write-only; its first id becomes the primary COMPANY_ID
        const ids = fields.COMPANY_IDS;
        const first = Array.isArray(ids) ? ids[0] : isObject(ids) ? Object.values(ids)[0] : undefined;
        if (first !== undefined) rec.fields.COMPANY_ID = scalar(first);
      }
      return { result: ctx.store.add(entity, rec.fields, rec.multi) };
    },
    [`${prefix}.update`]: (raw, ctx) => {
      const params = upperKeys(raw);
      const id = requireId(params.ID);
      const fields = requireFields(params);
      const current = ctx.store.get(entity, id);
      if (!current) throw badParam(notFound[entity].update);
      ctx.store.put(entity, applyUpdate(entity, current, fields, ctx));
      return { result: true };
    },
    [`${prefix}.get`]: (raw, ctx) => {
      const id = requireId(upperKeys(raw).ID);
      const rec = ctx.store.get(entity, id);
      if (!rec) throw badParam(notFound[entity].get);
      return { result: render(entity, rec, ['*', 'UF_*', ...multifieldTypes], definedUserFields(entity, ctx.store)) };
    },
    [`${prefix}.list`]: (raw, ctx) =>
      listPage(entity, ctx.store.all(entity), lowerListKeys(raw), definedUserFields(entity, ctx.store)),
    [`${prefix}.delete`]: (raw, ctx) => {
      const id = requireId(upperKeys(raw).ID);
      if (!ctx.store.get(entity, id)) throw notFound[entity].delete();
      deleteRequisitesOf(ctx.store, entity === 'company' ? 4 : 3, id);
      if (entity === 'company') {
        for (const c of ctx.store.all('contact')) {
          if (c.fields.COMPANY_ID === String(id))
            ctx.store.put('contact', { ...c, fields: { ...c.fields, COMPANY_ID: null } });
        }
      }
      ctx.store.remove(entity, id);
      return { result: true };
    },
  };
}

/** The user fields an entity's reads show (undefined: the emulator keeps no definitions for it). */
function definedUserFields(entity: CrmEntity, store: PortalStore): string[] | undefined {
  const owner = userFieldOwner[entity];
  return owner ? store.userFieldNames(owner) : undefined;
}

/** list parameters are read case-insensitively too. */
export function lowerListKeys(raw: Record<string, unknown>): Record<string, unknown> {
  const p = upperKeys(raw);
  return { filter: p.FILTER, order: p.ORDER, select: p.SELECT, start: p.START };
}
