import type { Envelope } from '../../core/envelope.js';
import { OrderedAcks } from '../../core/ordered-acks.js';
import type { PullSource, ReadResult } from '../../core/pull-source.js';
import type { Reachability } from '../../core/reachability.js';
import { openSnapshotAtBinlogPosition } from './binlog-position.js';
import type { MysqlSourceConfig } from './config.js';
import { connector, ReconnectingConnection, type Connect, type MysqlConnection } from './connection.js';
import { captureDeltaWatermarks } from './delta-watermark.js';
import { binlogKey, FULL_DONE, fullKey, PositionWriter, type PositionStore } from './positions.js';
import { quoteTable, rowId, type MysqlRow } from './rows.js';

export interface MysqlFullSourceOptions {
  config: MysqlSourceConfig;
  positions: PositionStore;
  /** Overrides how connections are made (tests); defaults to `config.url` with utf8mb4. */
  connect?: Connect;
  /** The service's outage policy for the server (see core/reachability.ts). */
  reach?: Reachability;
}

interface TableScan {
  readonly table: string;
  /** Last id emitted: the next page starts after it. */
  cursor: number;
  /** No page is left to read. */
  exhausted: boolean;
}

/**
 * Full extract of Shop A: every table in `config.tables`, one after the other, by keyset pages
 * (`WHERE id > ? ORDER BY id LIMIT ?` — no OFFSET, never more than one page in memory) inside
 * one consistent snapshot on one connection, so the extract is a single point in time.
 *
 * Position per table: the last contiguously acked id (key `mysql/<name>/<table>/full`), then
 * `done` once the table is finished and acked; a restart resumes after it. Before the first page
 * of a fresh extract the delta watermark is captured (see delta-watermark.ts), and in binlog mode
 * the binlog position of the snapshot (see openSnapshotAtBinlogPosition).
 *
 * A lost connection (KILL, server restart) reconnects with backoff and opens a new snapshot; the
 * scan goes on after the last id emitted. Rows changed between the two snapshots are the delta's
 * business, as are rows changed during the extract.
 */
export class MysqlFullSource implements PullSource<MysqlRow> {
  readonly name: string;
  private readonly config: MysqlSourceConfig;
  private readonly positions: PositionStore;
  private readonly acks = new OrderedAcks();
  private readonly writer: PositionWriter;
  private readonly db: ReconnectingConnection;
  private scans: TableScan[] | undefined;
  private current = 0;
  private fresh = false;
  private emitted = 0;
  private total = 0;
  private closed = false;

  constructor(opts: MysqlFullSourceOptions) {
    this.config = opts.config;
    this.name = `${opts.config.name}.full`;
    this.positions = opts.positions;
    this.writer = new PositionWriter(opts.positions);
    this.db = new ReconnectingConnection(
      opts.connect ?? connector(opts.config.url),
      opts.config,
      (conn, first) => this.beginSnapshot(conn, first),
      undefined,
      opts.reach,
    );
  }

  /** Rows emitted so far in this run, of `total` (COUNT(*) past the resume point at start). */
  progress(): { read: number; total: number } {
    return { read: this.emitted, total: this.total };
  }

  /** The server's id of the extract's connection (tests KILL it). */
  get connectionId(): number | undefined {
    return this.db.threadId;
  }

  get reconnects(): number {
    return this.db.reconnects;
  }

  async read(max: number): Promise<ReadResult<MysqlRow>> {
    this.writer.check();
    if (this.closed) return { records: [], done: true };
    const scans = (this.scans ??= await this.open());
    const records: Envelope<MysqlRow>[] = [];
    while (records.length < max && this.current < scans.length) {
      const scan = scans[this.current]!;
      if (scan.exhausted) {
        this.current++;
        continue;
      }
      const limit = Math.min(this.config.pageSize, max - records.length);
      const rows = await this.db.run((conn) => page(conn, scan.table, scan.cursor, limit));
      for (const row of rows) records.push(this.envelope(scan, row));
      if (rows.length < limit) {
        scan.exhausted = true;
        this.markDoneIfSettled(scan);
      }
    }
    const done = this.current >= scans.length;
    // The snapshot is no longer needed: end it rather than hold an old read view on the replica.
    if (done) await this.db.close();
    return { records, done };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.db.close();
    await this.writer.flush();
  }

  private async open(): Promise<TableScan[]> {
    const scans: TableScan[] = [];
    let anyStarted = false;
    for (const table of this.config.tables) {
      const stored = await this.positions.get(fullKey(this.config.name, table));
      if (stored !== undefined) anyStarted = true;
      const exhausted = stored === FULL_DONE;
      scans.push({ table, cursor: exhausted || stored === undefined ? 0 : Number(stored), exhausted });
    }
    this.fresh = !anyStarted;
    this.scans = scans;
    // The first connection runs beginSnapshot, which counts rows and captures the watermark.
    if (scans.some((s) => !s.exhausted)) await this.db.run(async () => undefined);
    return scans;
  }

  private async beginSnapshot(conn: MysqlConnection, first: boolean): Promise<void> {
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    // Binlog mode, fresh extract: the stream's start is read inside this very snapshot, so it
    // delivers exactly what the snapshot cannot see.
    const key = binlogKey(this.config.name);
    if (first && this.fresh && this.config.mode === 'binlog' && (await this.positions.get(key)) === undefined) {
      await this.positions.put(key, JSON.stringify(await openSnapshotAtBinlogPosition(conn)));
    } else {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    }
    if (!first) return;
    if (this.fresh) await captureDeltaWatermarks(conn, this.config.name, this.config.tables, this.positions);
    for (const scan of this.scans ?? []) {
      if (scan.exhausted) continue;
      const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM ${quoteTable(scan.table)} WHERE id > ?`, [
        scan.cursor,
      ]);
      this.total += Number((rows as Array<{ n: number | string }>)[0]?.n ?? 0);
    }
  }

  private envelope(scan: TableScan, row: Record<string, unknown>): Envelope<MysqlRow> {
    const id = rowId(row, scan.table);
    scan.cursor = id;
    this.emitted++;
    const resume = String(id);
    this.acks.track(scan.table, BigInt(id), resume);
    return {
      value: { table: scan.table, row },
      position: { partition: `${this.config.name}.${scan.table}`, offset: BigInt(id), resume },
      source: `${this.config.name}.${scan.table}`,
      ack: () => {
        const moved = this.acks.ack(scan.table, BigInt(id));
        if (moved?.resume !== undefined) this.writer.set(fullKey(this.config.name, scan.table), moved.resume);
        this.markDoneIfSettled(scan);
      },
      // Nothing to do now: the position cannot pass an un-acked row, so a restart reads it again.
      nack: () => {},
    };
  }

  private markDoneIfSettled(scan: TableScan): void {
    if (scan.exhausted && this.acks.pending(scan.table) === 0)
      this.writer.set(fullKey(this.config.name, scan.table), FULL_DONE);
  }
}

async function page(
  conn: MysqlConnection,
  table: string,
  afterId: number,
  limit: number,
): Promise<Record<string, unknown>[]> {
  // query() (client-side placeholders) rather than execute(): still parameterized, and LIMIT ?
  // works on every server version, which prepared statements do not guarantee.
  const [rows] = await conn.query(`SELECT * FROM ${quoteTable(table)} WHERE id > ? ORDER BY id LIMIT ?`, [
    afterId,
    limit,
  ]);
  return rows as Record<string, unknown>[];
}
