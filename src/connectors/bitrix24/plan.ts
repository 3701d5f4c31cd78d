import type { CrmUnifyError } from '../../core/errors.js';
import {
  bankFields,
  bankKey,
  bankXmlId,
  changedScalars,
  companyFields,
  contactFields,
  requisiteFields,
  requisiteFor,
  requisiteKey,
  requisiteXmlId,
  rowsChanged,
  sentFields,
} from './fields.js';
import { companyItem, contactItem, type ImportItem } from './import-items.js';
import { addItems, rowChanges, wantedRows, type WantedRow } from './multifields.js';
import type { CrmConflict } from '../../model/crm-ids.js';
import type { CrmIds, GoldenCompany, MultifieldRow, SentFields } from './types.js';

/** One batch command with what the loader needs to interpret its answer. */
export interface Op {
  key: string;
  method: string;
  params: Record<string, unknown>;
  /** What the answer updates: company, requisite, bank, contact, a merged contact removed, a stale part pruned, or a look-up. */
  kind: 'company' | 'requisite' | 'bank' | 'contact' | 'remove' | 'prune' | 'lookup';
  /** The entity: `c`, `rq:<KPP>`, `bd:<BIK/account>`, `ct:<golden id>`, `mg:<golden id>`. */
  ref: string;
  /** Keys of commands in the same batch whose `$result` this one uses. */
  deps: string[];
  write: boolean;
  create: boolean;
  /** Multifield items were sent: the row ids are unknown until a later read needs them. */
  touchesRows?: boolean;
  /** What this write makes current, recorded in `ids.sent[ref]` once the portal confirms it. */
  sends?: SentFields;
  /** This create may travel as one item of `crm.item.batchImport` instead of its own command. */
  item?: ImportItem;
}

/** What the CRM holds now, read in bulk before an update: to see people's edits, and the row ids. */
export interface ReadNeed {
  entity: 'company' | 'contact' | 'requisite' | 'bankdetail';
  id: number;
  ref: string;
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
  /** Set by the last plan: entities to read (in bulk, across companies) before their updates. */
  needs?: ReadNeed[];
  /** The company is to be created: CRM companies holding its INN must be looked for first (adoption). */
  needsInnCheck?: boolean;
  /** The INN look-up ran in this load. */
  innChecked?: boolean;
  /** A contact is to be created in an adopted company: match it against the CRM's contacts first. */
  needsContactCheck?: boolean;
  /** The CRM's contacts of the company were matched in this load. */
  contactsChecked?: boolean;
  /** What the CRM held at the last read, by entity ref (scalars as strings). */
  crm: Map<string, SentFields>;
  /** Managed fields people changed, found in this load. */
  conflicts: CrmConflict[];
  /** Other CRM companies with the same INN, left untouched when the oldest was adopted. */
  twins?: number[];
  /** Entity refs adopted from what people entered. */
  adopted: string[];
  rejected?: string;
  retry?: CrmUnifyError;
}

export interface PlanContext {
  originator: string;
  presets: { ORG: number; IE: number };
  mergedContacts: 'delete' | 'mark';
  /** Creates of companies and contacts may go through `crm.item.batchImport`. */
  bulkImport: boolean;
  /** Look for CRM companies with the INN before creating one, and adopt what people entered. */
  adopt: boolean;
  /** A managed field a person changed: keep their value, or write the source's. */
  conflicts: 'keep-crm' | 'overwrite';
}

/** An outcome is unknown: every entity is looked up again before anything more is written. */
export function markUnknown(w: Work, notBefore?: number): void {
  w.reconcile = true;
  w.verified.clear();
  if (notBefore !== undefined) w.lookupNotBefore = Math.max(w.lookupNotBefore ?? 0, notBefore);
}

const list = (filter: Record<string, unknown>, select: string[]) => ({
  filter,
  select,
  order: { ID: 'ASC' },
  start: -1,
});

/** The look-ups after an unknown outcome: every entity found by its origin fields, rows included. */
export function lookupOps(w: Work, ctx: PlanContext): Op[] {
  const c = w.input;
  const o = ctx.originator;
  const op = (key: string, method: string, params: Record<string, unknown>, ref: string): Op => ({
    key: w.tag + key,
    method,
    params,
    kind: 'lookup',
    ref,
    deps: [],
    write: false,
    create: false,
  });
  const ops = [
    op('xc', 'crm.company.list', list({ ORIGINATOR_ID: o, ORIGIN_ID: c.goldenId }, ['ID', 'PHONE', 'EMAIL']), 'c'),
  ];
  c.requisites.forEach((r, i) =>
    ops.push(
      op(
        `xr${i}`,
        'crm.requisite.list',
        list({ ORIGINATOR_ID: o, XML_ID: requisiteXmlId(c.goldenId, requisiteKey(r)) }, ['ID']),
        `rq:${requisiteKey(r)}`,
      ),
    ),
  );
  c.bankAccounts.forEach((b, i) =>
    ops.push(
      op(
        `xb${i}`,
        'crm.requisite.bankdetail.list',
        list({ ORIGINATOR_ID: o, XML_ID: bankXmlId(c.goldenId, bankKey(b)) }, ['ID']),
        `bd:${bankKey(b)}`,
      ),
    ),
  );
  c.contacts.forEach((p, i) => {
    ops.push(
      op(
        `xp${i}`,
        'crm.contact.list',
        list({ ORIGINATOR_ID: o, ORIGIN_ID: p.goldenId }, ['ID', 'PHONE', 'EMAIL']),
        `ct:${p.goldenId}`,
      ),
    );
    (p.mergedFrom ?? []).forEach((m, j) =>
      ops.push(
        op(
          `xm${i}_${j}`,
          'crm.contact.list',
          list({ ORIGINATOR_ID: o, ORIGIN_ID: m.goldenId }, ['ID']),
          `mg:${m.goldenId}`,
        ),
      ),
    );
  });
  return ops;
}

/** An update of one entity, or why there is none. */
type Update = { fields: Record<string, unknown>; rows: boolean } | 'current' | 'read' | null;

interface EntityState {
  /** What this pipeline last wrote; `{}` for an adopted entity it never wrote; undefined when unknown (older state). */
  sent: SentFields | undefined;
  want: SentFields;
  /** The state said the entity is current (used only when `sent` is unknown). */
  current: boolean | undefined;
  /** What the CRM holds now, when read in this load. */
  crm: SentFields | undefined;
  rows?: readonly MultifieldRow[] | undefined;
  wanted?: readonly WantedRow[];
}

/**
 * The update that takes an entity from what was last written to `want`: only changed fields,
 * multifield values of ours added, changed or removed (see `rowChanges`). Before an update the
 * CRM's current values are read (in bulk): a field a person changed since the last write (or, for
 * an adopted entity, filled with another value) is a conflict — kept as the person left it unless
 * the policy is `overwrite`. `current` means nothing to send; `read` means read the CRM first.
 */
function entityUpdate(
  e: EntityState,
  ctx: PlanContext,
  conflict: (field: string, crmValue: string, sourceValue: string, kept: 'crm' | 'source') => void,
): Update {
  const { sent, want, crm } = e;
  if (!sent && e.current) return 'current';
  const scalars = changedScalars(sent ?? {}, want);
  const rowsDue = e.wanted !== undefined && (!sent || rowsChanged(sent, want));
  if (sent && Object.keys(scalars).length === 0 && !rowsDue) return null;
  // People's edits are looked for before writing over them; a state from an older release
  // (nothing recorded as sent) is this pipeline's own writing, replaced as before.
  // Adding a multifield value cannot overwrite anything a person did: that alone needs no read.
  const scalarsDue = Object.keys(scalars).length > 0;
  if (
    crm === undefined &&
    ((sent && scalarsDue) || (rowsDue && e.rows === undefined && rowChanges(sent, e.wanted!, e.rows).needRows))
  )
    return 'read';
  if (sent && crm) {
    for (const [k, v] of Object.entries(scalars)) {
      const now = crm[k] ?? '';
      if (now === v) {
        delete scalars[k];
        continue;
      }
      if (now === (sent[k] ?? '')) continue;
      conflict(k, now, v, ctx.conflicts === 'overwrite' ? 'source' : 'crm');
      if (ctx.conflicts === 'keep-crm') delete scalars[k];
    }
  }
  const rc = rowsDue ? rowChanges(sent, e.wanted!, e.rows) : { items: {}, needRows: false };
  if (rc.needRows) return 'read';
  const hasRows = Object.keys(rc.items).length > 0;
  if (Object.keys(scalars).length === 0 && !hasRows) return 'current';
  return { fields: { ...scalars, ...rc.items }, rows: hasRows };
}

/**
 * The commands that move the CRM toward the golden record, given what is known. Missing entities
 * are created (a company and its requisites, bank details and contacts chained with `$result` in
 * one request; companies and contacts as `crm.item.batchImport` items when enabled); an existing
 * entity is updated only when what it should hold differs from what was last written to it, and
 * then only in the fields that differ; requisites and bank details no source holds any more are
 * removed. Row ids are never read back after a write: an update that must change or remove a
 * value asks for them (`w.needs`), and the loader reads them in bulk.
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
  const sent = (ids.sent ??= {});
  const needs: ReadNeed[] = (w.needs = []);
  w.needsInnCheck = false;
  w.needsContactCheck = false;
  // Before the company (or, in an adopted one, a requisite or bank detail) is created, what
  // people entered under its INN is looked for — again after a look-up found nothing of ours (a
  // lost answer may have hidden an adoption whose origin fields never landed).
  const partsMissing =
    ids.preexisting === true &&
    (c.requisites.some((r) => ids.requisites[requisiteKey(r)] === undefined) ||
      c.bankAccounts.some((b) => ids.bankDetails[bankKey(b)] === undefined));
  if ((ids.companyId === undefined || partsMissing) && ctx.adopt && !w.innChecked) {
    w.needsInnCheck = true;
    if (ids.companyId === undefined) return [];
  }
  const ops: Op[] = [];
  const push = (key: string, o: Omit<Op, 'key' | 'deps'>, deps: string[] = []): string => {
    ops.push({ ...o, key: w.tag + key, deps });
    return w.tag + key;
  };
  const ref = (id: number | undefined, key: string | undefined): [unknown, string[]] =>
    id !== undefined ? [id, []] : key ? [`$result[${key}]`, [key]] : [undefined, []];
  /** Plans the update of an existing entity: nothing when current, a read first when needed. */
  const update = (
    r: string,
    id: number,
    entity: ReadNeed['entity'],
    e: Omit<EntityState, 'sent' | 'crm'>,
    o: (fields: Record<string, unknown>, rows: boolean) => Omit<Op, 'key' | 'deps' | 'sends'> & { key: string },
  ): void => {
    if (w.applied.has(r)) return;
    const found: CrmConflict[] = [];
    const u = entityUpdate({ ...e, sent: sent[r], crm: w.crm.get(r) }, ctx, (field, crmValue, sourceValue, kept) =>
      found.push({
        kind: 'conflict',
        inn: c.goldenId,
        entity: r,
        crmId: id,
        field,
        crmValue,
        sourceValue,
        kept,
        at: '',
      }),
    );
    if (u === null) return;
    if (u === 'read') {
      needs.push({ entity, id, ref: r });
      return;
    }
    // Conflicts count once the decision stands (not when planning is repeated after a failure).
    for (const f of found)
      if (!w.conflicts.some((x) => x.entity === f.entity && x.field === f.field)) w.conflicts.push(f);
    if (u === 'current') {
      sent[r] = e.want;
      return;
    }
    const { key, ...rest } = o(u.fields, u.rows);
    push(key, { ...rest, sends: e.want });
  };

  const wanted = wantedRows(c.phones, c.emails);
  const cFields = companyFields(c, ctx.originator);
  const cWant = sentFields(cFields, wanted);
  let companyKey: string | undefined;
  if (ids.companyId === undefined) {
    companyKey = push('c', {
      method: 'crm.company.add',
      params: { fields: { ...cFields, ...addItems(wanted) } },
      kind: 'company',
      ref: 'c',
      write: true,
      create: true,
      touchesRows: wanted.length > 0,
      sends: cWant,
      ...(ctx.bulkImport ? { item: companyItem(cFields, wanted) } : {}),
    });
  } else {
    const companyId = ids.companyId;
    update(
      'c',
      companyId,
      'company',
      { want: cWant, current: c.current, rows: ids.companyRows, wanted },
      (fields, rows) => ({
        key: 'c',
        method: 'crm.company.update',
        params: { id: companyId, fields },
        kind: 'company',
        ref: 'c',
        write: true,
        create: false,
        touchesRows: rows,
      }),
    );
  }
  const [companyRef, companyDeps] = ref(ids.companyId, companyKey);

  const rqKeys = new Map<string, string>();
  c.requisites.forEach((r, i) => {
    const k = requisiteKey(r);
    const id = ids.requisites[k];
    const fields = requisiteFields(c, r, ctx.originator);
    const want = sentFields(fields);
    if (id === undefined && companyRef !== undefined && !rqKeys.has(k)) {
      rqKeys.set(
        k,
        push(
          `r${i}`,
          {
            method: 'crm.requisite.add',
            params: { fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: companyRef, PRESET_ID: ctx.presets[c.kind], ...fields } },
            kind: 'requisite',
            ref: `rq:${k}`,
            write: true,
            create: true,
            sends: want,
          },
          companyDeps,
        ),
      );
    } else if (id !== undefined) {
      update(`rq:${k}`, id, 'requisite', { want, current: c.current }, (f) => ({
        key: `r${i}`,
        method: 'crm.requisite.update',
        params: { id, fields: f },
        kind: 'requisite',
        ref: `rq:${k}`,
        write: true,
        create: false,
      }));
    }
  });

  const moved = new Set<string>();
  c.bankAccounts.forEach((b, i) => {
    const owner = requisiteFor(c, b);
    const bk = bankKey(b);
    const id = ids.bankDetails[bk];
    const fields = bankFields(c.goldenId, b, ctx.originator);
    const want = { ...sentFields(fields), ...(owner ? { _rq: requisiteKey(owner) } : {}) };
    const before = sent[`bd:${bk}`];
    if (id === undefined && owner) {
      const [rqRef, deps] = ref(ids.requisites[requisiteKey(owner)], rqKeys.get(requisiteKey(owner)));
      if (rqRef !== undefined)
        push(
          `b${i}`,
          {
            method: 'crm.requisite.bankdetail.add',
            params: { fields: { ENTITY_ID: rqRef, ...fields } },
            kind: 'bank',
            ref: `bd:${bk}`,
            write: true,
            create: true,
            sends: want,
          },
          deps,
        );
    } else if (id !== undefined && before?._rq !== undefined && want._rq !== undefined && before._rq !== want._rq) {
      moved.add(bk); // a bank detail cannot change its requisite: remove it, and it is re-created under the new one
    } else if (id !== undefined) {
      update(`bd:${bk}`, id, 'bankdetail', { want, current: c.current }, (f) => ({
        key: `b${i}`,
        method: 'crm.requisite.bankdetail.update',
        params: { id, fields: f },
        kind: 'bank',
        ref: `bd:${bk}`,
        write: true,
        create: false,
      }));
    }
  });

  const changed = c.synced?.hash !== c.hash;
  c.contacts.forEach((p, i) => {
    const known = ids.contacts[p.goldenId];
    const r = `ct:${p.goldenId}`;
    const want = wantedRows(p.phones, p.emails);
    const fields = contactFields(p, ctx.originator);
    const pWant = sentFields(fields, want);
    if (!known && companyRef !== undefined && ids.preexisting && ctx.adopt && !w.contactsChecked) {
      w.needsContactCheck = true; // people may have entered this person already
    } else if (!known && companyRef !== undefined) {
      push(
        `p${i}`,
        {
          method: 'crm.contact.add',
          params: { fields: { ...fields, COMPANY_ID: companyRef, ...addItems(want) } },
          kind: 'contact',
          ref: r,
          write: true,
          create: true,
          touchesRows: want.length > 0,
          sends: pWant,
          ...(ctx.bulkImport ? { item: contactItem(fields, companyRef, want) } : {}),
        },
        companyDeps,
      );
    } else if (known) {
      update(
        r,
        known.id,
        'contact',
        { want: pWant, current: p.current, rows: known.rows, wanted: want },
        (f, rows) => ({
          key: `p${i}`,
          method: 'crm.contact.update',
          params: { id: known.id, fields: f },
          kind: 'contact',
          ref: r,
          write: true,
          create: false,
          touchesRows: rows,
        }),
      );
    }
    // The merged-away contact goes only once the kept one is written: never lose the person.
    // With the hash unchanged the merge was confirmed in an earlier sync: nothing left to remove.
    const pendingWrite = ops.some((o) => o.ref === r) || needs.some((n) => n.ref === r);
    if (!changed || !known || pendingWrite) return;
    (p.mergedFrom ?? []).forEach((m, j) => {
      const id = m.crmId ?? ids.contacts[m.goldenId]?.id;
      if (id === undefined || w.applied.has(`mg:${m.goldenId}`)) return;
      const params =
        ctx.mergedContacts === 'delete'
          ? { id }
          : { id, fields: { ORIGINATOR_ID: `${ctx.originator}-merged`, COMMENTS: `merged into ${p.goldenId}` } };
      push(`m${i}_${j}`, {
        method: ctx.mergedContacts === 'delete' ? 'crm.contact.delete' : 'crm.contact.update',
        params,
        kind: 'remove',
        ref: `mg:${m.goldenId}`,
        write: true,
        create: false,
      });
    });
  });

  pruneOps(w, moved).forEach((o) => push(o.key, o));
  return ops;
}

/**
 * Requisites and bank details this pipeline made that the golden company no longer holds (a
 * branch whose only partner was deleted, an account closed) leave the CRM; so does a bank detail
 * whose requisite changed (it is re-created under the new one).
 */
function pruneOps(w: Work, moved: ReadonlySet<string>): Array<Omit<Op, 'deps'>> {
  const c = w.input;
  const liveRq = new Set(c.requisites.map(requisiteKey));
  const liveBd = new Set(c.bankAccounts.map(bankKey));
  const out: Array<Omit<Op, 'deps'>> = [];
  Object.entries(w.ids.requisites).forEach(([k, id], i) => {
    if (!liveRq.has(k))
      out.push({
        key: `dr${i}`,
        method: 'crm.requisite.delete',
        params: { id },
        kind: 'prune',
        ref: `rq:${k}`,
        write: true,
        create: false,
      });
  });
  Object.entries(w.ids.bankDetails).forEach(([k, id], i) => {
    if (!liveBd.has(k) || moved.has(k))
      out.push({
        key: `db${i}`,
        method: 'crm.requisite.bankdetail.delete',
        params: { id },
        kind: 'prune',
        ref: `bd:${k}`,
        write: true,
        create: false,
      });
  });
  return out;
}
