import type { BatchCommand } from './rest-client.js';
import { IMPORT_LIMIT } from './import-items.js';
import { mapStrings } from './result-refs.js';
import type { Op, Work } from './plan.js';

/** One command of a batch: a planned op, or a `crm.item.batchImport` carrying several ops as items. */
export interface PackedCommand {
  key: string;
  /** The op this command is, or the ops travelling as its items (in `data` order). */
  ops: Op[];
  import?: { entityTypeId: number };
}

export interface Packed {
  ops: Op[];
  works: Set<Work>;
  commands: PackedCommand[];
}

/** Where an op sits in the batch being built: its command's index and, for an item, its index in `data`. */
interface Place {
  command: number;
  item?: number;
}

class BatchBuilder {
  readonly commands: PackedCommand[] = [];
  readonly places = new Map<string, Place>();
  readonly works = new Set<Work>();
  private imports = 0;
  constructor(private readonly size: number) {}

  get full(): boolean {
    return this.commands.length >= this.size;
  }

  get empty(): boolean {
    return this.commands.length === 0;
  }

  /** Places an op whose dependencies are all in this batch; false when there is no room for it. */
  add(op: Op, useImport: boolean): boolean {
    const after = Math.max(-1, ...op.deps.map((d) => this.places.get(d)!.command));
    if (op.item && useImport) {
      // An item joins an import command of its type placed after everything it refers to.
      const i = this.commands.findIndex(
        (c, k) => k > after && c.import?.entityTypeId === op.item!.entityTypeId && c.ops.length < IMPORT_LIMIT,
      );
      if (i >= 0) {
        this.places.set(op.key, { command: i, item: this.commands[i]!.ops.length });
        this.commands[i]!.ops.push(op);
        return true;
      }
      if (this.full) return false;
      this.places.set(op.key, { command: this.commands.length, item: 0 });
      this.commands.push({ key: `imp${this.imports++}`, ops: [op], import: { entityTypeId: op.item.entityTypeId } });
      return true;
    }
    if (this.full) return false;
    this.places.set(op.key, { command: this.commands.length });
    this.commands.push({ key: op.key, ops: [op] });
    return true;
  }
}

/**
 * Packs the round's commands into batches of exactly `size` where possible, many companies per
 * batch: the portal limit counts HTTP requests, so a half-empty batch wastes throughput. With
 * `useImport`, creates of companies and contacts ride as items of `crm.item.batchImport` commands
 * (up to 20 each) shared by the companies of the batch. A company that writes never spans two
 * batches of one round (its `$result` chain must resolve inside one request, and its writes must
 * not race each other): when its commands do not all fit, the batch takes the prefix whose
 * references resolve and the rest is planned again next round from the ids that prefix confirms.
 * A company's look-ups (reads without references) may span batches.
 */
export function pack(plans: ReadonlyArray<{ work: Work; ops: Op[] }>, size: number, useImport = false): Packed[] {
  const out: Packed[] = [];
  let cur = new BatchBuilder(size);
  const flush = (): void => {
    if (!cur.empty) out.push(finish(cur));
    cur = new BatchBuilder(size);
  };
  const take = (work: Work, ops: Op[]): number => {
    let taken = 0;
    for (const op of ops) {
      if (!op.deps.every((d) => cur.places.has(d))) continue;
      if (!cur.add(op, useImport)) break;
      taken++;
    }
    if (taken) cur.works.add(work);
    return taken;
  };
  for (const { work, ops } of plans) {
    if (ops.length === 0) continue;
    if (ops.every((o) => o.kind === 'lookup')) {
      // Look-ups are reads without references: they may spread over as many batches as they need,
      // so that a company with many contacts is looked up in one round, not one batch per round.
      for (const op of ops) {
        if (cur.full) flush();
        take(work, [op]);
      }
      continue;
    }
    if (take(work, ops) === 0) {
      flush();
      take(work, ops);
    }
    if (cur.full) flush();
  }
  flush();
  return out;
}

/** Rewrites `$result[<item op>]` references to the item's id inside its import command's answer. */
function finish(b: BatchBuilder): Packed {
  const refs = new Map<string, string>();
  for (const [key, place] of b.places) {
    if (place.item !== undefined)
      refs.set(`$result[${key}]`, `$result[${b.commands[place.command]!.key}][items][${place.item}][item][id]`);
  }
  const rewrite = (v: unknown): unknown => mapStrings(v, (s) => refs.get(s) ?? s);
  const commands = b.commands.map((c) => ({
    ...c,
    ops: c.ops.map((o) =>
      refs.size
        ? {
            ...o,
            params: rewrite(o.params) as Record<string, unknown>,
            ...(o.item ? { item: { ...o.item, fields: rewrite(o.item.fields) as Record<string, unknown> } } : {}),
          }
        : o,
    ),
  }));
  return { ops: commands.flatMap((c) => c.ops), works: b.works, commands };
}

/** The wire form of a packed batch: one `method`+`params` per command. */
export function batchCommands(b: Packed): Record<string, BatchCommand> {
  return Object.fromEntries(
    b.commands.map((c) => [
      c.key,
      c.import
        ? {
            method: 'crm.item.batchImport',
            params: { entityTypeId: c.import.entityTypeId, data: c.ops.map((o) => o.item!.fields) },
          }
        : { method: c.ops[0]!.method, params: c.ops[0]!.params },
    ]),
  );
}
