import type { CrmUnifyError } from '../../core/errors.js';
import { bankFields, bankKey, bankXmlId, companyFields, contactFields, requisiteFields, requisiteFor, requisiteKey, requisiteXmlId } from './fields.js';
import { addItems, diffItems, wantedRows } from './multifields.js';
import type { CrmIds, GoldenCompany } from './types.js';

/** One batch command with what the loader needs to interpret its answer. */
export interface Op {
  key: string;
  method: string;
  params: Record<string, unknown>;
  /** What the answer updates: company, requisite, bank, contact, read, remove, or a look-up. */
  kind: 'company' | 'requisite' | 'bank' | 'contact' | 'read' | 'remove' | 'lookup';
  /** The entity: `c`, `rq:<KPP>`, `bd:<BIK/account>`, `ct:<golden id>`, `mg:<golden id>`. */
  ref: string;
  /** Keys of commands in the same batch whose `$result` this one uses. */
  deps: string[];
  write: boolean;
  create: boolean;
  /** Multifield items were sent: rows must be read back before they are known again. */
  touchesRows?: boolean;
}

/** A golden company in flight through one load() call. */
export interface Work {
  tag: string;
  input: GoldenCompany;
  ids: CrmIds;
  /** Entities written (created or updated) and confirmed in this load. */
  applied: Set<string>;
  /**
   * An earlier write's outcome is unknown: look every entity up by origin before writing again.
   * Cleared only when every look-up of the company has answered (see `verified`), never when
   * just some of them did: a company's look-ups may be spread over several batches and rounds.
   */
  reconcile: boolean;
  /** Creates were sent for this company in this load (answered or not). */
  createsSent?: boolean;
  /** Refs (`c`, `rq:…`, …) whose look-up answered since `reconcile` was last raised. */
  verified: Set<string>;
  /**
   * Epoch ms before which the look-ups must not run: a write that got no answer at all (timeout,
   * dropped connection) may still be running on the portal, and a look-up that overtakes it would
   * report "absent" and lead to a twin.
   */
  lookupNotBefore?: number;
  writes: number;
  mergedAway: string[];
  rejected?: string;
  retry?: CrmUnifyError;
}

export interface PlanContext {
  originator: string;
  presets: { ORG: number; IE: number };
  mergedContacts: 'delete' | 'mark';
}

/** An outcome is unknown: every entity is looked up again before anything more is written. */
export function markUnknown(w: Work, notBefore?: number): void {
  w.reconcile = true;
  w.verified.clear();
  if (notBefore !== undefined) w.lookupNotBefore = Math.max(w.lookupNotBefore ?? 0, notBefore);
}

const list = (filter: Record<string, unknown>, select: string[]) => ({ filter, select, order: { ID: 'ASC' }, start: -1 });

/** The look-ups after an unknown outcome: every entity found by its origin fields, rows included. */
export function lookupOps(w: Work, ctx: PlanContext): Op[] {
  const c = w.input;
  const o = ctx.originator;
  const op = (key: string, method: string, params: Record<string, unknown>, ref: string): Op =>
    ({ key: w.tag + key, method, params, kind: 'lookup', ref, deps: [], write: false, create: false });
  const ops = [op('xc', 'crm.company.list', list({ ORIGINATOR_ID: o, ORIGIN_ID: c.goldenId }, ['ID', 'PHONE', 'EMAIL']), 'c')];
  c.requisites.forEach((r, i) => ops.push(op(`xr${i}`, 'crm.requisite.list',
    list({ ORIGINATOR_ID: o, XML_ID: requisiteXmlId(c.goldenId, requisiteKey(r)) }, ['ID']), `rq:${requisiteKey(r)}`)));
  c.bankAccounts.forEach((b, i) => ops.push(op(`xb${i}`, 'crm.requisite.bankdetail.list',
    list({ ORIGINATOR_ID: o, XML_ID: bankXmlId(c.goldenId, bankKey(b)) }, ['ID']), `bd:${bankKey(b)}`)));
  c.contacts.forEach((p, i) => {
    ops.push(op(`xp${i}`, 'crm.contact.list', list({ ORIGINATOR_ID: o, ORIGIN_ID: p.goldenId }, ['ID', 'PHONE', 'EMAIL']), `ct:${p.goldenId}`));
    (p.mergedFrom ?? []).forEach((m, j) => ops.push(op(`xm${i}_${j}`, 'crm.contact.list',
      list({ ORIGINATOR_ID: o, ORIGIN_ID: m.goldenId }, ['ID']), `mg:${m.goldenId}`)));
  });
  return ops;
}

/**
 * The commands that move the CRM toward the golden record, given what is known: creates for
 * missing entities (chained with `$result` so a company and its requisites, bank details and
 * contacts travel in one request), updates when the hash changed, row reads where an update needs
 * row ids. Nothing known to be current is sent, so an unchanged record plans zero commands.
 */
export function planOps(w: Work, ctx: PlanContext): Op[] {
  if (w.reconcile) {
    const missing = lookupOps(w, ctx).filter((o) => !w.verified.has(o.ref));
    if (missing.length > 0) return missing;
    // Every entity has been looked up: the ids now say what the portal holds.
    w.reconcile = false;
    w.verified.clear();
  }
  const c = w.input;
  const ids = w.ids;
  const changed = c.synced?.hash !== c.hash;
  const ops: Op[] = [];
  const push = (key: string, o: Omit<Op, 'key' | 'deps'>, deps: string[] = []): string => {
    ops.push({ ...o, key: w.tag + key, deps });
    return w.tag + key;
  };
  const ref = (id: number | undefined, key: string | undefined): [unknown, string[]] =>
    id !== undefined ? [id, []] : key ? [`$result[${key}]`, [key]] : [undefined, []];
  const due = (r: string): boolean => changed && !w.applied.has(r);

  const wanted = wantedRows(c.phones, c.emails);
  let companyKey: string | undefined;
  if (ids.companyId === undefined) {
    companyKey = push('c', { method: 'crm.company.add', params: { fields: { ...companyFields(c, ctx.originator), ...addItems(wanted) } }, kind: 'company', ref: 'c', write: true, create: true, touchesRows: wanted.length > 0 });
    if (wanted.length) push('cg', { method: 'crm.company.get', params: { id: `$result[${companyKey}]` }, kind: 'read', ref: 'c', write: false, create: false }, [companyKey]);
  } else if (due('c') && ids.companyRows === undefined) {
    push('cg', { method: 'crm.company.get', params: { id: ids.companyId }, kind: 'read', ref: 'c', write: false, create: false });
  } else if (due('c')) {
    const items = diffItems(ids.companyRows ?? [], wanted);
    const rows = Object.keys(items).length > 0;
    push('c', { method: 'crm.company.update', params: { id: ids.companyId, fields: { ...companyFields(c, ctx.originator), ...items } }, kind: 'company', ref: 'c', write: true, create: false, touchesRows: rows });
    if (rows) push('cg', { method: 'crm.company.get', params: { id: ids.companyId }, kind: 'read', ref: 'c', write: false, create: false });
  }
  const [companyRef, companyDeps] = ref(ids.companyId, companyKey);

  const rqKeys = new Map<string, string>();
  c.requisites.forEach((r, i) => {
    const k = requisiteKey(r);
    const id = ids.requisites[k];
    const fields = requisiteFields(c, r, ctx.originator);
    if (id === undefined && companyRef !== undefined && !rqKeys.has(k)) {
      rqKeys.set(k, push(`r${i}`, { method: 'crm.requisite.add', params: { fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: companyRef, PRESET_ID: ctx.presets[c.kind], ...fields } }, kind: 'requisite', ref: `rq:${k}`, write: true, create: true }, companyDeps));
    } else if (id !== undefined && due(`rq:${k}`)) {
      push(`r${i}`, { method: 'crm.requisite.update', params: { id, fields }, kind: 'requisite', ref: `rq:${k}`, write: true, create: false });
    }
  });

  c.bankAccounts.forEach((b, i) => {
    const owner = requisiteFor(c, b);
    const id = ids.bankDetails[bankKey(b)];
    const fields = bankFields(c.goldenId, b, ctx.originator);
    if (id === undefined && owner) {
      const [rqRef, deps] = ref(ids.requisites[requisiteKey(owner)], rqKeys.get(requisiteKey(owner)));
      if (rqRef !== undefined) push(`b${i}`, { method: 'crm.requisite.bankdetail.add', params: { fields: { ENTITY_ID: rqRef, ...fields } }, kind: 'bank', ref: `bd:${bankKey(b)}`, write: true, create: true }, deps);
    } else if (id !== undefined && due(`bd:${bankKey(b)}`)) {
      push(`b${i}`, { method: 'crm.requisite.bankdetail.update', params: { id, fields }, kind: 'bank', ref: `bd:${bankKey(b)}`, write: true, create: false });
    }
  });

  c.contacts.forEach((p, i) => {
    const known = ids.contacts[p.goldenId];
    const r = `ct:${p.goldenId}`;
    const want = wantedRows(p.phones, p.emails);
    if (!known && companyRef !== undefined) {
      const key = push(`p${i}`, { method: 'crm.contact.add', params: { fields: { ...contactFields(p, ctx.originator), COMPANY_ID: companyRef, ...addItems(want) } }, kind: 'contact', ref: r, write: true, create: true, touchesRows: want.length > 0 }, companyDeps);
      if (want.length) push(`pg${i}`, { method: 'crm.contact.get', params: { id: `$result[${key}]` }, kind: 'read', ref: r, write: false, create: false }, [key]);
    } else if (known && due(r) && known.rows === undefined) {
      push(`pg${i}`, { method: 'crm.contact.get', params: { id: known.id }, kind: 'read', ref: r, write: false, create: false });
    } else if (known && due(r)) {
      const items = diffItems(known.rows ?? [], want);
      const rows = Object.keys(items).length > 0;
      push(`p${i}`, { method: 'crm.contact.update', params: { id: known.id, fields: { ...contactFields(p, ctx.originator), ...items } }, kind: 'contact', ref: r, write: true, create: false, touchesRows: rows });
      if (rows) push(`pg${i}`, { method: 'crm.contact.get', params: { id: known.id }, kind: 'read', ref: r, write: false, create: false });
    }
    // The merged-away contact goes only once the kept one is written: never lose the person.
    // With the hash unchanged the merge was confirmed in an earlier sync: nothing left to remove.
    if (!changed || !known || due(r)) return;
    (p.mergedFrom ?? []).forEach((m, j) => {
      const id = m.crmId ?? ids.contacts[m.goldenId]?.id;
      if (id === undefined || w.applied.has(`mg:${m.goldenId}`)) return;
      const params = ctx.mergedContacts === 'delete' ? { id }
        : { id, fields: { ORIGINATOR_ID: `${ctx.originator}-merged`, COMMENTS: `merged into ${p.goldenId}` } };
      push(`m${i}_${j}`, { method: ctx.mergedContacts === 'delete' ? 'crm.contact.delete' : 'crm.contact.update', params, kind: 'remove', ref: `mg:${m.goldenId}`, write: true, create: false });
    });
  });
  return ops;
}
