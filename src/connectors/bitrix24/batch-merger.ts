import type { BatchCommand, BatchResult } from './batch-command.js';
import { mapStrings } from './result-refs.js';

interface Queued {
  commands: Record<string, BatchCommand>;
  size: number;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Merges part-empty batches that wait for the portal into one request. The portal's limit counts
 * HTTP requests, and concurrent loads (and their look-ups) each end rounds with a part-empty
 * batch. Batches are sent as they come while fewer than `slots` requests are out; only while they
 * queue — the portal is the bottleneck then — is the head topped up with later batches that fit,
 * so merging never delays a request. Each batch's keys get a prefix in a merged request
 * (`$result[...]` references inside it follow), and its answer is handed back under its own keys;
 * a failed request fails every batch in it, as it would have failed each alone.
 */
export class BatchMerger {
  private readonly queue: Queued[] = [];
  private active = 0;

  constructor(
    private readonly send: (commands: Record<string, BatchCommand>) => Promise<BatchResult>,
    private readonly size: number,
    private readonly slots: number,
  ) {}

  submit(commands: Record<string, BatchCommand>): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ commands, size: Object.keys(commands).length, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.slots && this.queue.length) {
      const group = [this.queue.shift()!];
      let room = this.size - group[0]!.size;
      for (let i = 0; i < this.queue.length && room > 0; i++) {
        if (this.queue[i]!.size > room) continue;
        room -= this.queue[i]!.size;
        group.push(...this.queue.splice(i--, 1));
      }
      this.active++;
      void this.run(group).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async run(group: Queued[]): Promise<void> {
    if (group.length === 1) {
      const [one] = group;
      await this.send(one!.commands).then(one!.resolve, one!.reject);
      return;
    }
    const merged: Record<string, BatchCommand> = {};
    group.forEach((q, g) => {
      const keys = new Set(Object.keys(q.commands));
      const prefix = `g${g}_`;
      for (const [key, c] of Object.entries(q.commands)) {
        merged[prefix + key] = c.params
          ? { method: c.method, params: renameRefs(c.params, keys, prefix) as Record<string, unknown> }
          : c;
      }
    });
    try {
      const answer = await this.send(merged);
      group.forEach((q, g) => q.resolve(part(answer, `g${g}_`)));
    } catch (err) {
      for (const q of group) q.reject(err);
    }
  }
}

const REF = /\$result\[([^\]]+)\]/gu;

/** `$result[key]…` references to the batch's own keys, renamed with its prefix. */
function renameRefs(v: unknown, keys: ReadonlySet<string>, prefix: string): unknown {
  return mapStrings(v, (s) =>
    s.includes('$result[') ? s.replace(REF, (m, key: string) => (keys.has(key) ? `$result[${prefix}${key}]` : m)) : s,
  );
}

/** One batch's share of a merged answer, under its own keys. */
function part(answer: BatchResult, prefix: string): BatchResult {
  const pick = <T>(section: Record<string, T>): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(section)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  };
  return {
    result: pick(answer.result),
    errors: pick(answer.errors),
    total: pick(answer.total),
    next: pick(answer.next),
  };
}
