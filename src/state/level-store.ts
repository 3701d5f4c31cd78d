import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { CrmUnifyError } from '../core/errors.js';
import { computeStats } from './stats.js';
import {
  namespaces,
  rangeBounds,
  type KeyRange,
  type Namespace,
  type NamespaceValues,
  type StateOp,
  type StateStats,
  type StateStore,
} from './store.js';

type Db = Level<string, unknown>;

/**
 * An op whose value is already its JSON text as UTF-8 bytes (what the `json` encoding would store):
 * the state changelog encodes every value once for Kafka, and LevelDB takes the same bytes.
 */
export type EncodedOp =
  { type: 'put'; ns: Namespace; key: string; json: Uint8Array } | { type: 'del'; ns: Namespace; key: string };

const MB = 1 << 20;
/**
 * LevelDB options for this workload (random keys, a write per record): the defaults (4 MB memtable,
 * 2 MB files) rewrite each byte ~26× through compaction as the state grows. Memory: up to two
 * memtables (active + being flushed) and the block cache, about 2 × 64 + 32 = 160 MB at most.
 */
export const levelTuning = { writeBufferSize: 64 * MB, maxFileSize: 64 * MB, cacheSize: 32 * MB } as const;
type Sub = ReturnType<Db['sublevel']>;

/** A store that takes encoded values (the LevelDB one; a wrapper or the memory store may not). */
export function acceptsEncoded(s: StateStore): s is StateStore & Pick<LevelStateStore, 'batchEncoded'> {
  return typeof (s as Partial<LevelStateStore>).batchEncoded === 'function';
}

/**
 * The LevelDB StateStore: one sublevel per namespace, JSON values, atomic multi-sublevel
 * batches. LevelDB admits one process (one instance) per directory: a second open fails with
 * STATE_STORE_LOCKED rather than LevelDB's generic "failed to open".
 */
export async function openLevelStore(dir: string): Promise<LevelStateStore> {
  await mkdir(dir, { recursive: true });
  const db: Db = new Level<string, unknown>(dir, { keyEncoding: 'utf8', valueEncoding: 'json', ...levelTuning });
  try {
    await db.open();
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
    if (code === 'LEVEL_LOCKED') {
      throw new CrmUnifyError(
        'STATE_STORE_LOCKED',
        `state store ${dir} is locked: another crm-unify process (or instance) has it open; ` +
          'LevelDB has one writer, so run the topologies that share it in one process',
        { cause: err, details: { dir } },
      );
    }
    throw new CrmUnifyError('STATE_STORE_FAILED', `cannot open state store ${dir}: ${(err as Error).message}`, {
      cause: err,
      details: { dir },
    });
  }
  return new LevelStateStore(db, dir);
}

export class LevelStateStore implements StateStore {
  readonly kind = 'level' as const;
  private readonly subs: Record<Namespace, Sub>;

  constructor(
    private readonly db: Db,
    readonly dir: string,
  ) {
    this.subs = Object.fromEntries(
      namespaces.map((ns) => [ns, db.sublevel<string, unknown>(ns, { keyEncoding: 'utf8', valueEncoding: 'json' })]),
    ) as Record<Namespace, Sub>;
  }

  async get<N extends Namespace>(ns: N, key: string): Promise<NamespaceValues[N] | undefined> {
    return this.guard(() => this.subs[ns].get(key)) as Promise<NamespaceValues[N] | undefined>;
  }

  async getMany<N extends Namespace>(ns: N, keys: readonly string[]): Promise<Array<NamespaceValues[N] | undefined>> {
    if (keys.length === 0) return [];
    return this.guard(() => this.subs[ns].getMany([...keys])) as Promise<Array<NamespaceValues[N] | undefined>>;
  }

  async batch(ops: readonly StateOp[]): Promise<void> {
    if (ops.length === 0) return;
    const mapped = ops.map((op) => this.levelOp(op));
    await this.guard(() => this.db.batch(mapped as never));
  }

  /**
   * As `batch`, for values already encoded: stored as given, read back by `get` as JSON. Ops in
   * `ops` and `tail` (e.g. the changelog offset that goes with them) are applied atomically.
   */
  async batchEncoded(ops: readonly EncodedOp[], tail: readonly StateOp[] = []): Promise<void> {
    if (ops.length === 0 && tail.length === 0) return;
    const mapped: unknown[] = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put', sublevel: this.subs[op.ns], key: op.key, value: op.json, valueEncoding: 'view' }
        : { type: 'del', sublevel: this.subs[op.ns], key: op.key },
    );
    for (const op of tail) mapped.push(this.levelOp(op));
    await this.guard(() => this.db.batch(mapped as never));
  }

  async *iterate<N extends Namespace>(ns: N, range?: KeyRange): AsyncIterable<[string, NamespaceValues[N]]> {
    const it = this.subs[ns].iterator(levelRange(range));
    try {
      for await (const entry of this.wrapIter(it)) yield entry as [string, NamespaceValues[N]];
    } finally {
      await it.close();
    }
  }

  async count(ns: Namespace, range?: KeyRange): Promise<number> {
    let n = 0;
    const it = this.subs[ns].keys(levelRange(range));
    try {
      for await (const _ of this.wrapIter(it)) n++;
    } finally {
      await it.close();
    }
    return n;
  }

  stats(): Promise<StateStats> {
    return computeStats(this);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private levelOp(op: StateOp) {
    return op.type === 'put'
      ? { type: 'put' as const, sublevel: this.subs[op.ns], key: op.key, value: op.value as unknown }
      : { type: 'del' as const, sublevel: this.subs[op.ns], key: op.key };
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storeError(err);
    }
  }

  private async *wrapIter<T>(it: AsyncIterable<T>): AsyncIterable<T> {
    try {
      for await (const x of it) yield x;
    } catch (err) {
      throw storeError(err);
    }
  }
}

function levelRange(range?: KeyRange) {
  const { gte, gt, lte, lt, reverse, limit } = rangeBounds(range);
  return Object.fromEntries(Object.entries({ gte, gt, lte, lt, reverse, limit }).filter(([, v]) => v !== undefined));
}

function storeError(err: unknown): Error {
  if (err instanceof CrmUnifyError || err instanceof TypeError) return err;
  return new CrmUnifyError('STATE_STORE_FAILED', `state store: ${(err as Error).message}`, {
    cause: err,
    details: { levelCode: (err as { code?: unknown }).code },
  });
}
