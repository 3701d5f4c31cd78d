import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope } from '../../core/envelope.js';
import { OrderedAcks } from '../../core/ordered-acks.js';
import type { PullSource, ReadResult } from '../../core/pull-source.js';
import type { Reachability } from '../../core/reachability.js';
import type { MysqlSourceConfig } from './config.js';
import { connector, ReconnectingConnection, type Connect, type MysqlConnection } from './connection.js';
import { deltaKey, PositionWriter, type PositionStore } from './positions.js';
import { quoteTable, rowId, type MysqlRow } from './rows.js';
import {
  compareWatermarks,
  EPOCH,
  lookbackStart,
  maxWatermark,
  parseWatermark,
  secondsBetween,
  serializeWatermark,
  type Watermark,
} from './watermark.js';

export interface MysqlDeltaSourceOptions {
  config: MysqlSourceConfig;
  positions: PositionStore;
  connect?: Connect;
  /** The service's outage policy for the server (see core/reachability.ts). */
  reach?: Reachability;
}

interface TableDelta {
  readonly table: string;
  /** Where the next page starts. */
  cursor: Watermark;
  /** The highest (updated_at, id) emitted (or committed at start). */
  high: Watermark;
  committed: Watermark;
  seq: bigint;
  nextPollAt: number;
  caughtUp: boolean;
  passes: number;
  /** The server's NOW(6) at the last caught-up poll, for lag. */
  dbNow: string | undefined;
  /** id → version emitted, for rows inside the look-back window (see `emit`). */
  seen: Map<number, { updatedAt: string; fingerprint: string }>;
}

/**
 * Shop A's changes: polls each table for rows with `(updated_at, id)` above a cursor, ordered
 * the same way, so rows sharing an `updated_at` are never skipped (the id breaks the tie).
 *
 * Look-back: once a poll reaches the present, the next one starts `lookbackSeconds` before the
 * watermark again, because a replica can commit a row late with an `updated_at` the cursor has
 * already passed. Rows re-read that way are emitted again only if their content changed since
 * this run emitted them (a fingerprint per row inside the window); after a restart the whole
 * window is emitted once more. The trade-off: a longer window catches later commits and costs
 * re-reads (and re-emits after restarts, which downstream change hashes turn into no-ops); a row
 * committed later than the window is missed until its next update.
 *
 * Position per table (key `mysql/<name>/<table>/delta`): JSON `{"updatedAt","id"}`, the highest
 * watermark whose every earlier emitted row is acked. `status='deleted'` rows are ordinary rows.
 */
export class MysqlDeltaSource implements PullSource<MysqlRow> {
  readonly name: string;
  private readonly config: MysqlSourceConfig;
  private readonly positions: PositionStore;
  private readonly acks = new OrderedAcks();
  private readonly writer: PositionWriter;
  private readonly db: ReconnectingConnection;
  private readonly stop = new AbortController();
  private tables: TableDelta[] | undefined;
  private turn = 0;
  private closed = false;

  constructor(opts: MysqlDeltaSourceOptions) {
    this.config = opts.config;
    this.name = `${opts.config.name}.delta`;
    this.positions = opts.positions;
    this.writer = new PositionWriter(opts.positions);
    this.db = new ReconnectingConnection(
      opts.connect ?? connector(opts.config.url),
      opts.config,
      undefined,
      this.stop.signal,
      opts.reach,
    );
  }

  /**
   * Seconds the committed watermark is behind the server's clock; 0 when the last poll found the
   * table caught up and everything emitted is acked (a quiet table is not lagging).
   */
  get lagSeconds(): number {
    let lag = 0;
    for (const t of this.tables ?? []) {
      if (t.caughtUp && this.acks.pending(t.table) === 0) continue;
      if (t.dbNow) lag = Math.max(lag, secondsBetween(t.committed.updatedAt, t.dbNow));
    }
    return Math.max(0, lag);
  }

  get connectionId(): number | undefined {
    return this.db.threadId;
  }

  get reconnects(): number {
    return this.db.reconnects;
  }

  async read(max: number): Promise<ReadResult<MysqlRow>> {
    this.writer.check();
    const tables = (this.tables ??= await this.open());
    // Wait at most one poll interval, then hand back control even if empty (the runtime may stop).
    const deadline = Date.now() + this.config.pollIntervalMs;
    while (!this.closed) {
      const records: Envelope<MysqlRow>[] = [];
      for (let i = 0; i < tables.length && records.length < max; i++) {
        const t = tables[(this.turn + i) % tables.length]!;
        if (t.nextPollAt <= Date.now()) await this.poll(t, max - records.length, records);
      }
      this.turn = (this.turn + 1) % tables.length;
      if (records.length > 0) return { records, done: false };
      if (this.config.once && tables.every((t) => t.passes > 0)) return { records, done: true };
      const now = Date.now();
      if (now >= deadline) return { records, done: false };
      const next = Math.min(...tables.map((t) => t.nextPollAt));
      await sleep(Math.max(1, Math.min(next, deadline) - now), undefined, { signal: this.stop.signal }).catch(() => {});
    }
    return { records: [], done: true };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    await this.db.close();
    await this.writer.flush();
  }

  private async open(): Promise<TableDelta[]> {
    const tables: TableDelta[] = [];
    for (const table of this.config.tables) {
      const stored = await this.positions.get(deltaKey(this.config.name, table));
      const w = stored === undefined ? EPOCH : parseWatermark(stored);
      tables.push({
        table,
        high: w,
        committed: w,
        cursor: lookbackStart(w, this.config.lookbackSeconds),
        seq: 0n,
        nextPollAt: 0,
        caughtUp: false,
        passes: 0,
        dbNow: undefined,
        seen: new Map(),
      });
    }
    const now = await this.db.run(serverNow);
    for (const t of tables) t.dbNow = now;
    return tables;
  }

  private async poll(t: TableDelta, room: number, out: Envelope<MysqlRow>[]): Promise<void> {
    const limit = Math.min(this.config.pageSize, room);
    const rows = await this.db.run((conn) => page(conn, t.table, t.cursor, limit));
    for (const row of rows) {
      const env = this.emit(t, row);
      if (env) out.push(env);
    }
    t.caughtUp = rows.length < limit;
    if (!t.caughtUp) return;
    // Reached the present: the next poll re-reads the look-back window, after a pause.
    t.passes++;
    t.cursor = lookbackStart(t.high, this.config.lookbackSeconds);
    t.nextPollAt = Date.now() + this.config.pollIntervalMs;
    t.dbNow = await this.db.run(serverNow);
    prune(t.seen, t.cursor.updatedAt);
  }

  private emit(t: TableDelta, row: Record<string, unknown>): Envelope<MysqlRow> | undefined {
    const key: Watermark = { updatedAt: String(row.updated_at), id: rowId(row, t.table) };
    t.cursor = key;
    // Rows re-read inside the look-back window are emitted again only if they changed: the
    // fingerprint catches a second update within the same DATETIME second, which the
    // (updated_at, id) key alone cannot.
    const fingerprint = createHash('sha1').update(JSON.stringify(row)).digest('base64');
    const before = t.seen.get(key.id);
    if (before && before.updatedAt === key.updatedAt && before.fingerprint === fingerprint) return undefined;
    t.seen.delete(key.id); // re-insert at the end: the map stays roughly in scan order for pruning
    t.seen.set(key.id, { updatedAt: key.updatedAt, fingerprint });
    t.high = maxWatermark(t.high, key);
    const offset = ++t.seq;
    const resume = serializeWatermark(t.high);
    this.acks.track(t.table, offset, resume);
    if (t.seen.size > 4 * this.config.pageSize)
      prune(t.seen, lookbackStart(t.high, this.config.lookbackSeconds).updatedAt);
    return {
      value: { table: t.table, row },
      position: { partition: `${this.config.name}.${t.table}.delta`, offset, resume },
      source: `${this.config.name}.${t.table}`,
      ack: () => {
        const moved = this.acks.ack(t.table, offset);
        if (moved?.resume === undefined) return;
        const w = parseWatermark(moved.resume);
        if (compareWatermarks(w, t.committed) > 0) {
          t.committed = w;
          this.writer.set(deltaKey(this.config.name, t.table), moved.resume);
        }
      },
      nack: () => {},
    };
  }
}

/** Drops fingerprints older than the window start, from the head (oldest inserted first). */
function prune(seen: TableDelta['seen'], before: string): void {
  for (const [id, v] of seen) {
    if (compareWatermarks({ updatedAt: v.updatedAt, id: 0 }, { updatedAt: before, id: 0 }) >= 0) break;
    seen.delete(id);
  }
}

async function serverNow(conn: MysqlConnection): Promise<string> {
  const [rows] = await conn.query('SELECT NOW(6) AS now');
  return String((rows as Array<{ now: string }>)[0]?.now);
}

async function page(
  conn: MysqlConnection,
  table: string,
  after: Watermark,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const [rows] = await conn.query(
    `SELECT * FROM ${quoteTable(table)} WHERE (updated_at, id) > (?, ?) ORDER BY updated_at, id LIMIT ?`,
    [after.updatedAt, after.id, limit],
  );
  return rows as Record<string, unknown>[];
}
