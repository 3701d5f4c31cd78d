import { setTimeout as sleep } from 'node:timers/promises';
import ZongJi, {
  type AnyBinlogEvent,
  type DeleteRowsEvent,
  type QueryEvent,
  type UpdateRowsEvent,
  type WriteRowsEvent,
} from '@vlasky/zongji';
import type { Envelope } from '../../core/envelope.js';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { OrderedAcks } from '../../core/ordered-acks.js';
import type { PullSource, ReadResult } from '../../core/pull-source.js';
import type { MysqlSourceConfig } from './config.js';
import type { Reachability } from '../../core/reachability.js';
import { connector, isConnectionLost, isUnreachable, type MysqlConnection } from './connection.js';
import { ddlOnFollowedTable } from './ddl.js';
import { MysqlFullSource } from './mysql-full.source.js';
import { checkBinlogServer } from './binlog-checks.js';
import { comparePositions, currentPosition, parseBinlogPosition, type BinlogPosition } from './binlog-position.js';
import { binlogKey, fullKey, PositionWriter, type PositionStore } from './positions.js';
import { resetMysqlPositions } from './reset.js';
import type { MysqlRow } from './rows.js';
import { datetimeAt } from './watermark.js';
import { isPositionLost, isPrivilegeRefusal, stopZongJi } from './zongji.js';

export interface MysqlBinlogSourceOptions {
  /** `url` must name the database whose `config.tables` are followed. */
  config: MysqlSourceConfig;
  positions: PositionStore;
  /** Where to start when no position is stored (a snapshot's); default: the server's current end. */
  from?: BinlogPosition;
  /**
   * The service's outage policy for the server (core/reachability.ts): a lost stream is waited
   * for as it says, and reported on /healthz; without one, `reconnectRetries` bounds it.
   */
  reach?: Reachability;
}

interface Pending {
  value: MysqlRow;
  at: BinlogPosition;
  /** The event's time on the server (ms since the epoch; the binlog has whole seconds). */
  ts: number;
}

const PARTITION = 'binlog';
const ROW_EVENTS = new Set(['writerows', 'updaterows', 'deleterows']);

/**
 * Shop A's changes from the binlog (row events, via @vlasky/zongji): every INSERT, UPDATE and
 * DELETE on `config.tables` of the URL's database, in commit order, as the row the full extract
 * would read (`UPDATE` → the row after; `DELETE` → the row before with `status: 'deleted'` and
 * `updated_at` = the event's time, which the Shop A mapper turns into a delete, as it does a soft
 * delete). Text arrives decoded from the column's charset (cp1251 included).
 *
 * Backpressure: the client pushes, so rows wait in a buffer; at `binlogBufferRows` the binlog
 * connection is paused (TCP then holds the server back) and resumed once half is drained.
 * `read(max)` hands out at most `max`, so the runtime's credit bounds what is in flight.
 *
 * Position (key `mysql/<name>/binlog`): JSON BinlogPosition of the last row whose every earlier
 * row is acked (ordered acks); when nothing is pending, a commit of another transaction moves it
 * too, so a quiet table does not pin an old binlog file.
 */
export class MysqlBinlogSource implements PullSource<MysqlRow> {
  readonly name: string;
  private readonly config: MysqlSourceConfig;
  private readonly positions: PositionStore;
  private readonly from: BinlogPosition | undefined;
  private readonly reach: Reachability | undefined;
  private readonly database: string;
  /** The position's key (`mysql/<name>/binlog`), written on every ack that moves it. */
  private readonly key: string;
  /** Replaced by a new snapshot: acks of rows from before it must not move the new position. */
  private acks = new OrderedAcks();
  /** Event times of rows handed out and not yet acked, in offset order (for lagSeconds). */
  private inFlight = new Map<bigint, number>();
  /** The server's clock minus ours, so event times compare with the server's now. */
  private clockSkewMs = 0;
  private readonly writer: PositionWriter;
  private readonly buffer: Pending[] = [];
  private client: ZongJi | undefined;
  /** The position the current client started at; rows up to `resume.rows` there are skipped. */
  private resume: BinlogPosition | undefined;
  /** Position of the last row buffered: where a new client continues after a lost connection. */
  private last: BinlogPosition | undefined;
  /** Rows this client saw at the current (file, pos), counted afresh by each client. */
  private seen = { file: '', pos: -1, rows: 0 };
  /** With `once`: the server's end when we started; reaching it (nothing buffered) is done. */
  private end: BinlogPosition | undefined;
  private failure: unknown;
  /** A DDL statement changed a followed table: nothing after it is read; `failure` once the rows before it are handed out. */
  private schemaChange: CrmUnifyError | undefined;
  /** The server no longer has the position we asked for (1236) and snapshotWhenNeeded is on. */
  private positionLost = false;
  /** The new full extract taken after a lost position; its rows are read before the stream. */
  private snapshot: MysqlFullSource | undefined;
  private snapshotDone = false;
  private lastError: unknown;
  private lost = false;
  private paused = false;
  private closed = false;
  private seq = 0n;
  private wake: (() => void) | undefined;
  /** Reconnects since the stream last delivered an event (bounded by reconnectRetries when there is no reach). */
  private attempts = 0;
  reconnects = 0;
  /** New full extracts taken because the saved position was lost (snapshotWhenNeeded). */
  resnapshots = 0;

  constructor(opts: MysqlBinlogSourceOptions) {
    this.config = opts.config;
    this.name = `${opts.config.name}.binlog`;
    this.positions = opts.positions;
    this.from = opts.from;
    this.reach = opts.reach;
    this.writer = new PositionWriter(opts.positions);
    this.key = binlogKey(opts.config.name);
    this.database = decodeURIComponent(new URL(opts.config.url).pathname.replace(/^\//, ''));
    if (!this.database)
      throw new CrmUnifyError('CONFIG_INVALID', `${this.name}: the MySQL URL must name the database to follow`);
  }

  /** Row changes read from the server and not yet handed out (bounded by binlogBufferRows, plus one event). */
  get buffered(): number {
    return this.buffer.length;
  }

  /**
   * Seconds the committed position is behind: the server's now minus the event time of the oldest
   * row read and not yet acked (the row the position waits on); 0 when none is (a quiet table
   * is not lagging). Rows still unread on the server count once they are read, so a stream far
   * behind shows its lag as soon as its first old row arrives.
   */
  get lagSeconds(): number {
    const oldest = this.inFlight.values().next().value ?? this.buffer[0]?.ts;
    return oldest === undefined ? 0 : Math.max(0, (Date.now() + this.clockSkewMs - oldest) / 1000);
  }

  /** Whether the binlog connection is paused because the buffer is full. */
  get isPaused(): boolean {
    return this.paused;
  }

  async read(max: number): Promise<ReadResult<MysqlRow>> {
    this.writer.check();
    if (this.snapshot && !this.snapshotDone) return this.readSnapshot(max);
    // After a give-up (`failure` set) no new stream is started: the loop below rethrows it.
    if (!this.client && this.failure === undefined) await this.start(await this.startPosition());
    const deadline = Date.now() + this.config.pollIntervalMs;
    while (!this.closed && this.buffer.length === 0) {
      if (this.positionLost) return this.resnapshot(max);
      if (this.lost) await this.reconnect();
      if (this.schemaChange) throw this.schemaChange;
      if (this.failure !== undefined) throw this.failure;
      if (this.caughtUp()) return { records: [], done: true };
      const left = deadline - Date.now();
      if (left <= 0) return { records: [], done: false };
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, left).unref();
      });
      this.wake = undefined;
    }
    if (this.closed) return { records: [], done: true };
    const records = this.buffer.splice(0, max).map((p) => this.envelope(p));
    if (this.paused && this.buffer.length <= this.config.binlogBufferRows / 2) {
      this.paused = false;
      this.client?.connection?.resume();
    }
    return { records, done: false };
  }

  /** `once`: the client has read up to the end the server had when we started. */
  private caughtUp(): boolean {
    const options = this.client?.options;
    if (!this.end || options?.filename === undefined || options.position === undefined) return false;
    return comparePositions({ file: options.filename, pos: options.position }, this.end) >= 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    // A wait for the server ends at once (the read waiting in it throws SHUTDOWN, as poll mode's).
    this.reach?.cancel();
    this.wake?.();
    await this.stopClient();
    await this.snapshot?.close();
    await this.writer.flush();
  }

  /**
   * The saved position is gone and snapshotWhenNeeded is on: forget the old extract and position
   * (full keys first, so a crash in between still leaves a state that restarts as a fresh
   * extract), then read a new full extract, which stores the binlog position of its snapshot.
   * After a restart mid-way the topology's full phase finishes that extract.
   */
  private async resnapshot(max: number): Promise<ReadResult<MysqlRow>> {
    this.positionLost = false;
    await this.stopClient();
    this.acks = new OrderedAcks();
    this.inFlight = new Map();
    this.buffer.length = 0;
    await this.writer.flush();
    await resetMysqlPositions(this.positions, this.config, 'earliest');
    this.resnapshots++;
    this.snapshot = new MysqlFullSource({ config: this.config, positions: this.positions });
    this.snapshotDone = false;
    return this.readSnapshot(max);
  }

  private async readSnapshot(max: number): Promise<ReadResult<MysqlRow>> {
    const result = await this.snapshot!.read(max);
    if (!result.done) return result;
    // Extract read; the stream goes on from the position its snapshot stored.
    this.snapshotDone = true;
    const stored = await this.positions.get(this.key);
    if (stored === undefined)
      throw new CrmUnifyError('SOURCE_READ_FAILED', `${this.name}: the new snapshot stored no binlog position`);
    await this.start(parseBinlogPosition(stored));
    return { records: result.records, done: false };
  }

  /** The server said it no longer has the binlog we asked for (purged): a clear way out. */
  private async lostPositionError(at: BinlogPosition, err: unknown): Promise<CrmUnifyError> {
    let retained = '';
    try {
      const conn = await connector(this.config.url)();
      try {
        const [logs] = await conn.query('SHOW BINARY LOGS');
        const names = (logs as Array<{ Log_name: string }>).map((l) => l.Log_name);
        if (names.length > 0) retained = ` (the server keeps ${names[0]} to ${names[names.length - 1]})`;
      } finally {
        await conn.end().catch(() => conn.destroy());
      }
    } catch {
      // SHOW BINARY LOGS needs a privilege we may lack; the message stands without the list.
    }
    return new CrmUnifyError(
      'SOURCE_READ_FAILED',
      `${this.name}: the saved binlog position ${at.file}:${at.pos} is no longer on the server${retained}: its binlogs were purged ` +
        `before we read them (${errorMessage(err)}). Changes since are lost to the stream: set sources.shopA.snapshotWhenNeeded: true ` +
        `to take a new full extract and stream from there, or run \`crm-unify replay ${this.config.name} --to earliest\`; ` +
        'keep binlogs longer (expire_logs_days / binlog_expire_logs_seconds) than the service may be stopped',
      { cause: err, details: { file: at.file, pos: at.pos } },
    );
  }

  /** The stored position, else `from`, else the server's current end; checks the server can serve it. */
  private async startPosition(): Promise<BinlogPosition> {
    const stored = await this.positions.get(this.key);
    return this.onServer(async (conn) => {
      await checkBinlogServer(conn, this.config, this.name);
      const [now] = await conn.query('SELECT UNIX_TIMESTAMP(NOW(3)) * 1000 AS ms');
      this.clockSkewMs = Number((now as Array<{ ms: unknown }>)[0]!.ms) - Date.now();
      if (this.config.once) this.end = await currentPosition(conn);
      if (stored !== undefined) return parseBinlogPosition(stored);
      return this.from ?? (await currentPosition(conn));
    });
  }

  /** `work` on a connection of its own; with a reach, an unreachable server is waited for under its policy. */
  private async onServer<T>(work: (conn: MysqlConnection) => Promise<T>): Promise<T> {
    const once = async () => {
      const conn = await connector(this.config.url)();
      try {
        return await work(conn);
      } finally {
        await conn.end().catch(() => conn.destroy());
      }
    };
    try {
      return this.reach ? await this.reach.attempt(once, (err) => !this.closed && isUnreachable(err)) : await once();
    } catch (err) {
      if (err instanceof CrmUnifyError) throw err;
      throw new CrmUnifyError('SOURCE_READ_FAILED', `${this.name}: ${errorMessage(err)}`, {
        cause: err,
        retriable: isConnectionLost(err),
      });
    }
  }

  private async start(at: BinlogPosition): Promise<void> {
    this.resume = at;
    this.last = at;
    this.seen = { file: '', pos: -1, rows: 0 };
    const client = new ZongJi({
      uri: this.config.url,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    this.client = client;
    client.on('binlog', (event: AnyBinlogEvent) => {
      if (this.client === client) this.onEvent(client, event);
    });
    // Both of the client's connections have answered queries (the dump request follows): the
    // server is reachable again, on /healthz before any event (a quiet table sends none).
    client.on('ready', () => {
      if (this.client === client && !this.closed) this.reach?.up();
    });
    client.on('error', (err: unknown) => {
      if (this.client !== client || this.closed) return;
      this.lastError = err;
      // A refusal (no REPLICATION SLAVE, bad password) arrives as a fatal error too; a new
      // connection will not cure it, so it fails at once, in the server's words.
      if (isPositionLost(err)) {
        if (this.config.snapshotWhenNeeded) this.positionLost = true;
        else
          void this.lostPositionError(at, err).then((e) => {
            this.failure = e;
            this.wake?.();
          });
      } else if (isUnreachable(err) && !isPrivilegeRefusal(err)) this.lost = true;
      else
        this.failure = new CrmUnifyError(
          'SOURCE_READ_FAILED',
          `${this.name}: ${errorMessage(err)} (at ${at.file}:${at.pos})`,
          { cause: err },
        );
      this.wake?.();
    });
    client.start({
      serverId: this.config.binlogServerId,
      filename: at.file,
      position: at.pos,
      // `query`: DDL (the schema filter does not apply to it; ddlOnFollowedTable does).
      includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query'],
      includeSchema: { [this.database]: [...this.config.tables] },
    });
  }

  /**
   * After a lost connection: a new client from the last row buffered, after a wait. With a reach
   * the service's policy sets the wait and when to give up (never in a service run; with `--once`
   * SERVICE_UNAVAILABLE after runtime.connectTimeoutMs, as poll mode), and /healthz shows the
   * outage; without one, `reconnectRetries` failures in a row end it.
   */
  private async reconnect(): Promise<void> {
    const at = this.last!;
    await this.stopClient();
    this.lost = false;
    let wait: number;
    if (this.reach) {
      try {
        wait = this.reach.down(this.lastError);
      } catch (giveUp) {
        this.failure = giveUp;
        throw giveUp;
      }
    } else {
      if (this.attempts >= this.config.reconnectRetries) {
        throw new CrmUnifyError(
          'SOURCE_READ_FAILED',
          `${this.name}: binlog connection lost, ${this.attempts} reconnects in a row failed (last: ${errorMessage(this.lastError)})`,
          { cause: this.lastError, retriable: true },
        );
      }
      wait = Math.min(this.config.reconnectMaxMs, this.config.reconnectBaseMs * 2 ** this.attempts);
    }
    this.attempts++;
    this.reconnects++;
    if (this.reach) await this.reach.wait(wait);
    else await sleep(wait);
    if (!this.closed) await this.start(at);
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.paused = false;
    if (client) await stopZongJi(client, 5_000);
  }

  private onEvent(client: ZongJi, event: AnyBinlogEvent): void {
    this.attempts = 0;
    if (this.schemaChange) return;
    const name = event.getEventName();
    // `options` hold the client's safe resume point, frozen at the start of the current
    // transaction while its row events arrive (README "File and position resume").
    const file = client.options.filename!;
    const pos = client.options.position!;
    if (name === 'xid') {
      // Another transaction ended with nothing of ours pending: commit past it.
      if (
        this.buffer.length === 0 &&
        this.acks.pending() === 0 &&
        this.last &&
        (this.last.file !== file || this.last.pos !== pos)
      ) {
        this.last = { file, pos, rows: 0 };
        this.writer.set(this.key, JSON.stringify(this.last));
      }
      return;
    }
    if (name === 'query') {
      this.onQuery(client, event as QueryEvent);
      return;
    }
    if (!ROW_EVENTS.has(name)) return;
    const rowsEvent = event as WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent;
    const table = rowsEvent.tableMap[rowsEvent.tableId]?.tableName;
    if (table === undefined || !this.config.tables.includes(table)) return;
    for (const change of rowsEvent.rows) {
      const seen = this.seen;
      const rows = seen.file === file && seen.pos === pos ? seen.rows + 1 : 1;
      this.seen = { file, pos, rows };
      const at: BinlogPosition = { file, pos, rows, ...(event.gtid ? { gtid: event.gtid } : {}) };
      this.last = at;
      // Resumed mid-transaction: the server replays it whole; skip what was delivered before.
      const r = this.resume;
      if (r && r.file === file && r.pos === pos && rows <= r.rows) continue;
      this.buffer.push({
        at,
        ts: event.timestamp,
        value: { table, op: opOf(name), row: this.rowOf(name, change, event.timestamp) },
      });
    }
    if (this.buffer.length >= this.config.binlogBufferRows) {
      this.paused = true;
      client.connection?.pause();
    }
    this.wake?.();
  }

  /**
   * DDL on a followed table stops the stream before it: rows after it may not read as before
   * (columns added, renamed or dropped; a TRUNCATE logs no row deletes), and the client's cached
   * column names can misdecode them. Rows before it are still handed out and acked, so the saved
   * position ends just before the statement and a restart stops at it again. DDL elsewhere is ignored.
   */
  private onQuery(client: ZongJi, event: QueryEvent): void {
    const table = ddlOnFollowedTable(event.query, event.schema, this.database, this.config.tables);
    if (table === undefined) return;
    client.connection?.pause();
    const statement = event.query.length > 300 ? `${event.query.slice(0, 300)}…` : event.query;
    const at = `${client.options.filename}, ending at ${client.options.position}, ${new Date(event.timestamp).toISOString()}`;
    this.schemaChange = new CrmUnifyError(
      'SOURCE_SCHEMA_CHANGED',
      `${this.name}: ${table} was changed by \`${statement}\` (binlog ${at}); the stream stops before it, as rows after a change ` +
        'of structure may not read as before. Check that the Shop A mapper still reads the table, then run ' +
        `\`crm-unify replay ${this.config.name} --to earliest\` (a new full extract of the tables as they are now, streaming from its snapshot)`,
      {
        details: {
          table,
          statement: event.query,
          file: client.options.filename,
          pos: client.options.position,
          at: event.timestamp,
        },
      },
    );
    this.wake?.();
  }

  private rowOf(name: string, change: unknown, timestamp: number): Record<string, unknown> {
    if (name === 'updaterows') return (change as { after: Record<string, unknown> }).after;
    const row = change as Record<string, unknown>;
    if (name === 'writerows') return row;
    // A hard DELETE reads as the soft delete the mapper knows, dated when it happened.
    return { ...row, status: 'deleted', updated_at: datetimeAt(new Date(timestamp), this.config.sourceTimeZone) };
  }

  private envelope(p: Pending): Envelope<MysqlRow> {
    const offset = ++this.seq;
    const resume = JSON.stringify(p.at);
    const acks = this.acks;
    const inFlight = this.inFlight;
    acks.track(PARTITION, offset, resume);
    inFlight.set(offset, p.ts);
    return {
      value: p.value,
      position: { partition: this.name, offset, resume },
      source: `${this.config.name}.${p.value.table}`,
      ack: () => {
        inFlight.delete(offset);
        const moved = acks.ack(PARTITION, offset);
        if (moved?.resume !== undefined && acks === this.acks) this.writer.set(this.key, moved.resume);
      },
      nack: () => {},
    };
  }
}

function opOf(name: string): 'insert' | 'update' | 'delete' {
  return name === 'writerows' ? 'insert' : name === 'updaterows' ? 'update' : 'delete';
}

/**
 * Binlog mode before the full extract: refuses a state read in poll mode and checks the server.
 * The extract itself stores where the stream starts, from inside its snapshot
 * (`openSnapshotAtBinlogPosition`). Returns the stored position, if any.
 */
export async function checkBinlogStart(
  config: MysqlSourceConfig,
  positions: PositionStore,
  reach?: Reachability,
): Promise<BinlogPosition | undefined> {
  const stored = await positions.get(binlogKey(config.name));
  // A full extract begun (or done) without a binlog position, i.e. in poll mode: a position taken
  // now would skip what changed since, with no error anywhere. A new extract is the safe way.
  for (const table of stored === undefined ? config.tables : []) {
    if ((await positions.get(fullKey(config.name, table))) !== undefined) {
      throw new CrmUnifyError(
        'USAGE',
        `${config.name}: switching to mode binlog needs a new full extract (the state was read in poll mode and has no binlog position): run \`crm-unify replay ${config.name} --to earliest\` first`,
      );
    }
  }
  // Checked on every start, a restart too: grants and settings can change while we are stopped,
  // and the reach's first success is what tells /healthz the server answers.
  let conn: MysqlConnection;
  try {
    const connect = connector(config.url);
    conn = reach ? await reach.attempt(connect, isUnreachable) : await connect();
  } catch (err) {
    throw new CrmUnifyError('SOURCE_READ_FAILED', `${config.name}.binlog: ${errorMessage(err)}`, {
      cause: err,
      retriable: isConnectionLost(err),
    });
  }
  try {
    await checkBinlogServer(conn, config, `${config.name}.binlog`);
    return stored === undefined ? undefined : parseBinlogPosition(stored);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}
