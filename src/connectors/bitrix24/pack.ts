import type { Op, Work } from './plan.js';

export interface Packed {
  ops: Op[];
  works: Set<Work>;
}

/**
 * Packs the round's commands into batches of exactly `size` where possible, many companies per
 * batch: the portal limit counts HTTP requests, so a half-empty batch wastes throughput. A company
 * that writes never spans two batches of one round (its `$result` chain must resolve inside one
 * request, and its writes must not race each other): when its commands do not all fit, the batch
 * takes the prefix whose references resolve and the rest is planned again next round from the ids
 * that prefix confirms. A company's look-ups (reads without references) may span batches.
 */
export function pack(plans: ReadonlyArray<{ work: Work; ops: Op[] }>, size: number): Packed[] {
  const out: Packed[] = [];
  let cur: Packed = { ops: [], works: new Set() };
  const flush = (): void => {
    if (cur.ops.length) out.push(cur);
    cur = { ops: [], works: new Set() };
  };
  for (const { work, ops } of plans) {
    if (ops.length === 0) continue;
    if (ops.every((o) => o.kind === 'lookup')) {
      // Look-ups are reads without references: they may spread over as many batches as they need,
      // so that a company with many contacts is looked up in one round, not one batch per round.
      for (const op of ops) {
        cur.ops.push(op);
        cur.works.add(work);
        if (cur.ops.length >= size) flush();
      }
      continue;
    }
    const taken = new Set<string>();
    for (const op of ops) {
      if (cur.ops.length + taken.size >= size) break;
      if (op.deps.every((d) => taken.has(d))) taken.add(op.key);
    }
    if (taken.size === 0) {
      flush();
      for (const op of ops) if (taken.size < size && op.deps.every((d) => taken.has(d))) taken.add(op.key);
    }
    cur.ops.push(...ops.filter((o) => taken.has(o.key)));
    cur.works.add(work);
    if (cur.ops.length >= size) flush();
  }
  flush();
  return out;
}
