import { CrmUnifyError } from '../../core/errors.js';
import { isWriteMethod } from './classify.js';
import { DryRunShadow, entityOf, FAKE_ID_BASE, fieldsOfItem, isFakeId, type CrmEntity } from './dry-run-shadow.js';
import { Bitrix24Client, type BatchCommand, type BatchResult, type CallResult } from './rest-client.js';
import type { PortalError } from './classify.js';

/** One write a dry run answered instead of the portal. */
export interface PlannedWrite {
  op: 'create' | 'update' | 'delete' | 'other';
  /** undefined for a method outside the four entity kinds. */
  entity: CrmEntity | undefined;
  method: string;
  /** The fake id given to a create; the real (or earlier fake) id an update or delete names. */
  crmId: number | undefined;
  /** What was sent: the fields of a create or an update. */
  fields?: Record<string, unknown>;
}

type Row = Record<string, unknown>;
type Answer = { value: unknown; total?: number } | { error: PortalError };

const PAGE = 50;

/** A list filter without the fake ids in its `@` lists (the others name real entities): the portal never sees one. */
function withoutFakeIds(params: Record<string, unknown>): Record<string, unknown> {
  const filter = params.filter as Row | undefined;
  if (!filter || typeof filter !== 'object') return params;
  return {
    ...params,
    filter: Object.fromEntries(
      Object.entries(filter).map(([k, v]) => [k, Array.isArray(v) ? v.filter((x) => !isFakeId(x)) : v]),
    ),
  };
}
const refRe = /\$result\[([^\]]*)\]((?:\[[^\]]*\])*)/g;

/** Keys of earlier commands a command's parameters refer to (`$result[key]…`). */
function refsOf(params: unknown): string[] {
  return [...JSON.stringify(params ?? {}).matchAll(refRe)].map((m) => m[1]!);
}

/** Replaces `$result[key][a][b]` by the value found, as the portal does (unresolved stays as text). */
function substitute(v: unknown, results: ReadonlyMap<string, unknown>): unknown {
  if (Array.isArray(v)) return v.map((x) => substitute(x, results));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, results)]));
  if (typeof v !== 'string') return v;
  const find = (key: string, path: string): { found: boolean; value?: unknown } => {
    if (!results.has(key)) return { found: false };
    let cur = results.get(key);
    for (const m of path.matchAll(/\[([^\]]*)\]/g)) {
      if (cur === null || typeof cur !== 'object') return { found: false };
      cur = (cur as Row)[m[1]!];
    }
    return cur === undefined ? { found: false } : { found: true, value: cur };
  };
  const whole = new RegExp(`^${refRe.source}$`).exec(v);
  if (whole) {
    const hit = find(whole[1]!, whole[2] ?? '');
    return hit.found ? (typeof hit.value === 'object' && hit.value !== null ? hit.value : String(hit.value)) : v;
  }
  return v.replace(refRe, (text, key: string, path: string) => {
    const hit = find(key, path);
    return hit.found && typeof hit.value !== 'object' ? String(hit.value) : text;
  });
}

/**
 * A Bitrix24 client for `crm-unify plan`: reads go to the real portal (through the real client's
 * bucket and retries); writes never leave the process. They are answered here as the portal would
 * (fresh fake ids from 10^12, `{items:[{item:{id}}]}` for imports, `true` for update and delete),
 * recorded in `writes`, and remembered (see DryRunShadow) so later reads in the run see them. A
 * batch mixing both is split: its reads go out as one batch, its writes are answered in order with
 * `$result[…]` references resolved, and a read that depends on a write is answered from memory.
 */
export class DryRunClient extends Bitrix24Client {
  readonly writes: PlannedWrite[] = [];
  /** What a real run would send: HTTP requests (a batch counts once) and commands (an import counts once). */
  readonly planned = { requests: 0, commands: 0 };
  private readonly shadow = new DryRunShadow();
  private nextId = FAKE_ID_BASE;

  override async callFull<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<CallResult<T>> {
    this.planned.requests++;
    this.planned.commands++;
    if (isWriteMethod(method)) return { result: this.fakeWrite(method, params) as T };
    const local = this.localRead(method, params);
    if (local && 'error' in local)
      throw new CrmUnifyError(
        'CRM_COMMAND_FAILED',
        `portal rejected the call (${local.error.error}: ${local.error.error_description})`,
        { retriable: false },
      );
    if (local) return { result: local.value as T, total: local.total ?? 0 };
    const answer = await super.callFull<T>(method, withoutFakeIds(params));
    return { ...answer, result: this.merge(method, params, answer.result) as T };
  }

  override async batch(commands: Record<string, BatchCommand>, opts: { halt?: boolean } = {}): Promise<BatchResult> {
    const keys = Object.keys(commands);
    this.planned.requests++;
    this.planned.commands += keys.length;
    // Writes, and reads that use a write's result (directly or through another such read), stay here.
    const local = new Set<string>();
    for (const k of keys) {
      const c = commands[k]!;
      if (isWriteMethod(c.method) || refsOf(c.params).some((r) => local.has(r))) local.add(k);
    }
    const answers = new Map<string, Answer>();
    const results = new Map<string, unknown>();
    const portal: Record<string, BatchCommand> = {};
    for (const k of keys) {
      if (local.has(k)) continue;
      const c = commands[k]!;
      const mine = this.localRead(c.method, c.params ?? {});
      if (mine) answers.set(k, mine);
      else portal[k] = { method: c.method, params: withoutFakeIds(c.params ?? {}) };
    }
    if (Object.keys(portal).length) {
      const got = await super.batch(portal, opts);
      for (const k of Object.keys(portal)) {
        const c = portal[k]!;
        if (k in got.result)
          answers.set(k, { value: this.merge(c.method, c.params ?? {}, got.result[k]), total: got.total[k] });
        else if (got.errors[k]) answers.set(k, { error: got.errors[k]! });
      }
    }
    for (const k of keys) {
      const a = answers.get(k);
      if (a && 'value' in a) results.set(k, a.value);
      if (!local.has(k)) continue;
      const c = commands[k]!;
      const params = substitute(c.params ?? {}, results) as Record<string, unknown>;
      const answer: Answer = isWriteMethod(c.method)
        ? { value: this.fakeWrite(c.method, params) }
        : this.localRead(c.method, params, true)!;
      answers.set(k, answer);
      if ('value' in answer) results.set(k, answer.value);
    }
    const out: BatchResult = { result: {}, errors: {}, total: {}, next: {} };
    for (const [k, a] of answers) {
      if ('error' in a) out.errors[k] = a.error;
      else {
        out.result[k] = a.value;
        if (a.total !== undefined) out.total[k] = a.total;
      }
    }
    return out;
  }

  /** Answers a write as the portal would, and records it. */
  private fakeWrite(method: string, params: Record<string, unknown>): unknown {
    const m = method.toLowerCase();
    const entity = entityOf(method, params);
    const fields = (params.fields ?? params.FIELDS ?? {}) as Row;
    if (m === 'crm.item.batchimport' || m === 'crm.item.import') {
      const data = m === 'crm.item.import' ? [fields] : ((params.data ?? params.DATA ?? []) as Row[]);
      const items = data.map((item) => ({ item: { id: this.create(method, entity, fieldsOfItem(item)) } }));
      return m === 'crm.item.import' ? items[0] : { items };
    }
    if (m.endsWith('.add')) return this.create(method, entity, fields);
    const id = params.id ?? params.ID;
    const crmId = id === undefined ? undefined : Number(id);
    if (m.endsWith('.update')) {
      if (entity && crmId !== undefined) this.shadow.update(entity, crmId, fields);
      this.writes.push({ op: 'update', entity, method, crmId, fields });
      return true;
    }
    if (m.endsWith('.delete')) {
      if (entity && crmId !== undefined) this.shadow.delete(entity, crmId);
      this.writes.push({ op: 'delete', entity, method, crmId });
      return true;
    }
    this.writes.push({ op: 'other', entity, method, crmId });
    return true;
  }

  private create(method: string, entity: CrmEntity | undefined, fields: Row): number {
    const id = this.nextId++;
    if (entity) this.shadow.create(entity, id, fields);
    this.writes.push({ op: 'create', entity, method, crmId: id, fields });
    return id;
  }

  /**
   * A read this run must answer itself: one naming only entities it made up (a fake id in an
   * equality filter or every value of an `@` list). `force`: it depends on a write, answer anyway.
   */
  private localRead(method: string, params: Record<string, unknown>, force = false): Answer | undefined {
    const entity = entityOf(method, params);
    const filter = (params.filter ?? {}) as Row;
    const fakeOnly = Object.entries(filter).some(([, v]) =>
      Array.isArray(v) ? v.length > 0 && v.every(isFakeId) : isFakeId(v),
    );
    const getsFake = /\.get$/i.test(method) && isFakeId(params.id ?? params.ID);
    if (!force && !fakeOnly && !getsFake) return undefined;
    if (/\.get$/i.test(method)) {
      const row = entity ? this.shadow.query(entity, { ID: params.id ?? params.ID })[0] : undefined;
      return row ? { value: row } : { error: { error: 'NOT_FOUND', error_description: 'Not found' } };
    }
    if (!entity || !/\.list$/i.test(method)) return { value: [], total: 0 };
    const rows = this.shadow.query(entity, filter).sort((a, b) => Number(a.ID) - Number(b.ID));
    return { value: rows, total: rows.length };
  }

  /**
   * A portal list answer as this run would see it: its updates and deletes laid over the rows, and
   * the entities it created that match the filter added — once the portal's page is not full, so
   * paging by `>ID` still reaches every real row first (fake ids are above every real one).
   */
  private merge(method: string, params: Record<string, unknown>, value: unknown): unknown {
    const entity = entityOf(method, params);
    if (!entity || !/\.list$/i.test(method) || !Array.isArray(value)) return value;
    const rows = (value as Row[]).map((r) => this.shadow.overlay(entity, r)).filter((r): r is Row => r !== undefined);
    if (value.length >= PAGE) return rows;
    return [...rows, ...this.shadow.query(entity, (params.filter ?? {}) as Row)];
  }
}
