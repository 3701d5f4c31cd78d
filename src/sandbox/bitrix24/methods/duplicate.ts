/**
 * crm.duplicate.findbycomm: ids of leads, contacts and companies having a phone or e-mail.
 * Types are searched in the order LEAD, CONTACT, COMPANY; once one type has 20 or more matches
 * the later types are left out; nothing found gives `result: []` (crm-duplicate-find-by-comm.md).
 */
import { badParam } from '../envelope.js';
import type { MultiRow } from '../store.js';
import { isObject, upperKeys, type MethodHandler } from './context.js';

// The duplicate index compares phones by their digits and e-mails case-insensitively
// (core behaviour, not spelled out in the REST docs).
const normalizers = {
  PHONE: (v: string) => v.replace(/\D/g, ''),
  EMAIL: (v: string) => v.trim().toLowerCase(),
};

export const duplicateMethods: Record<string, MethodHandler> = {
  'crm.duplicate.findbycomm': (raw, ctx) => {
    const p = upperKeys(raw);
    const type = String(p.TYPE ?? '').toUpperCase();
    if (type === '') throw badParam('Communication type is not defined');
    if (type !== 'PHONE' && type !== 'EMAIL') {
      throw badParam(`Communication type '${type}' is not supported in current context`);
    }
    const rawValues = Array.isArray(p.VALUES) ? p.VALUES : isObject(p.VALUES) ? Object.values(p.VALUES) : null;
    if (!rawValues || rawValues.length === 0) throw badParam('Communication values is not defined');
    const norm = normalizers[type];
    const wanted = new Set(
      rawValues
        .slice(0, 20)
        .map((v) => norm(String(v)))
        .filter((v) => v !== ''),
    );
    const entityType = p.ENTITY_TYPE ? String(p.ENTITY_TYPE).toUpperCase() : undefined;
    const order = (['LEAD', 'CONTACT', 'COMPANY'] as const).filter((t) => !entityType || t === entityType);
    const result: Record<string, number[]> = {};
    for (const t of order) {
      if (t === 'LEAD') continue; // the emulator keeps no leads
      const entity = t === 'CONTACT' ? 'contact' : 'company';
      const ids = ctx.store
        .all(entity)
        .filter((r) => (r.multi[type] ?? []).some((row: MultiRow) => wanted.has(norm(row.VALUE))))
        .map((r) => r.id);
      if (ids.length) result[t] = ids;
      if (ids.length >= 20) break;
    }
    return { result: Object.keys(result).length ? result : [] };
  },
};
