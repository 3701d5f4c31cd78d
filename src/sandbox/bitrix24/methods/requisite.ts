/**
 * crm.requisite.*, crm.requisite.bankdetail.* and crm.requisite.preset.list. A requisite belongs
 * to a contact (3) or company (4) and uses one of the fixed presets; a bank detail belongs to a
 * requisite. The three owner fields never change after add.
 */
import { badParam } from '../envelope.js';
import { listPage, matchesFilter, render, sortRecords } from '../query.js';
import { presets } from '../schema.js';
import type { StoredEntity } from '../store.js';
import { requireFields, requireId, upperKeys, type MethodHandler } from './context.js';
import { lowerListKeys } from './crm-entity.js';
import { applyUpdate, buildNew } from './entity-writer.js';

const rqNotFound = (id: number) => badParam(`The Requisite with ID '${id}' is not found`);
const bdNotFound = (id: number) => badParam(`The RequisiteBankDetail with ID '${id}' is not found`);
const owners: Record<string, 'contact' | 'company'> = { '3': 'contact', '4': 'company' };

function positive(v: unknown): number | undefined {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function crud(
  entity: 'requisite' | 'bankdetail',
  prefix: string,
  notFound: (id: number) => Error,
  checkAdd: (fields: Record<string, unknown>, ctx: Parameters<MethodHandler>[1]) => void,
): Record<string, MethodHandler> {
  return {
    [`${prefix}.add`]: (raw, ctx) => {
      const fields = upperKeys(requireFields(upperKeys(raw)));
      checkAdd(fields, ctx);
      const rec = buildNew(entity, fields, ctx);
      return { result: ctx.store.add(entity, rec.fields, rec.multi) };
    },
    [`${prefix}.update`]: (raw, ctx) => {
      const params = upperKeys(raw);
      const id = requireId(params.ID);
      const fields = requireFields(params);
      const current = ctx.store.get(entity, id);
      if (!current) throw notFound(id);
      ctx.store.put(entity, applyUpdate(entity, current, fields, ctx));
      return { result: true };
    },
    [`${prefix}.get`]: (raw, ctx) => {
      const id = requireId(upperKeys(raw).ID);
      const rec = ctx.store.get(entity, id);
      if (!rec) throw notFound(id);
      return { result: render(entity, rec, ['*', 'UF_*']) };
    },
    [`${prefix}.list`]: (raw, ctx) => listPage(entity, ctx.store.all(entity), lowerListKeys(raw)),
    [`${prefix}.delete`]: (raw, ctx) => {
      const id = requireId(upperKeys(raw).ID);
      if (!ctx.store.get(entity, id)) throw notFound(id);
      if (entity === 'requisite') {
        for (const bd of ctx.store.all('bankdetail'))
          if (bd.fields.ENTITY_ID === String(id)) ctx.store.remove('bankdetail', bd.id);
      }
      ctx.store.remove(entity, id);
      return { result: true };
    },
  };
}

export const requisiteMethods: Record<string, MethodHandler> = {
  ...crud('requisite', 'crm.requisite', rqNotFound, (f, ctx) => {
    const owner = owners[String(f.ENTITY_TYPE_ID ?? '')];
    if (!owner) throw badParam('ENTITY_TYPE_ID is not defined or invalid.');
    const ownerId = positive(f.ENTITY_ID);
    if (ownerId === undefined) throw badParam('ENTITY_ID is not defined or invalid.');
    const preset = positive(f.PRESET_ID);
    if (preset === undefined || !presets.some((p) => p.ID === String(preset))) {
      throw badParam('PRESET_ID is not defined or invalid.');
    }
    if (!ctx.store.get(owner, ownerId)) throw badParam('Entity not found.');
  }),
  ...crud('bankdetail', 'crm.requisite.bankdetail', bdNotFound, (f, ctx) => {
    const rq = positive(f.ENTITY_ID);
    // ENTITY_ID can only be a requisite id; a missing one is reported like an invalid one
    if (rq === undefined || !ctx.store.get('requisite', rq)) throw badParam('ENTITY_ID is not defined or invalid.');
  }),
  'crm.requisite.preset.list': (raw) => {
    const p = lowerListKeys(raw);
    const recs: StoredEntity[] = presets.map((x) => ({ id: Number(x.ID), fields: { ...x }, multi: {} }));
    const filter = (p.filter && typeof p.filter === 'object' ? p.filter : {}) as Record<string, unknown>;
    const order = (p.order && typeof p.order === 'object' ? p.order : {}) as Record<string, unknown>;
    const rows = sortRecords(
      recs.filter((r) => matchesFilter(r, filter)),
      order,
    );
    const select = Array.isArray(p.select) && p.select.length ? p.select.map((s) => String(s).toUpperCase()) : ['*'];
    const result = rows.map((r) =>
      select.includes('*')
        ? { ...r.fields }
        : Object.fromEntries(select.filter((s) => s in r.fields).map((s) => [s, r.fields[s]])),
    );
    return { result, total: result.length };
  },
};
