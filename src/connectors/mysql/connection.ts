import mysql from 'mysql2/promise';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import type { Reachability } from '../../core/reachability.js';
import { withRetry } from '../../core/retry.js';
import type { MysqlSourceConfig } from './config.js';

export type MysqlConnection = mysql.Connection;
export type Connect = () => Promise<MysqlConnection>;

/**
 * Opens one connection the way every source needs it: utf8mb4 so cp1251 text arrives as UTF-8,
 * DATETIMEs as text (watermarks round-trip exactly, no zone conversion), BIGINTs as text.
 */
export function connector(url: string): Connect {
  return async () => {
    const conn = await mysql.createConnection({
      uri: url,
      charset: 'UTF8MB4_UNICODE_CI',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    // A connection killed while idle emits 'error'; without a listener that would crash the
    // process. The next query fails too, and that is where reconnecting happens.
    conn.on('error', () => {});
    return conn;
  };
}

const lostCodes = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
]);

/** A failure that a new connection can cure (killed, server restart, network), not a bad query. */
export function isConnectionLost(err: unknown): boolean {
  const e = err as { fatal?: unknown; code?: unknown; errno?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.fatal === true) return true;
  // 1927: MariaDB's "Connection was killed"; 1053: server shutdown in progress.
  return (typeof e.code === 'string' && lostCodes.has(e.code)) || e.errno === 1927 || e.errno === 1053;
}

// Answers from a server that is up but refuses us: waiting will not help, the config must change.
const refusalCodes = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_NOT_SUPPORTED_AUTH_MODE',
]);

/** The server cannot be reached (or the connection to it was lost): an outage to wait out. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return isConnectionLost(err) && !(typeof code === 'string' && refusalCodes.has(code));
}

/**
 * Runs `work` on a live connection; after a lost connection it reconnects with backoff, lets
 * `prepare` restore session state (a snapshot transaction), and runs `work` again. `work` must be
 * safe to repeat: sources only read, and advance their cursors after a query returns.
 */
export class ReconnectingConnection {
  private conn: MysqlConnection | undefined;
  private closed = false;
  private prepared = false;
  reconnects = 0;

  constructor(
    private readonly connect: Connect,
    private readonly config: Pick<MysqlSourceConfig, 'reconnectRetries' | 'reconnectBaseMs' | 'reconnectMaxMs'>,
    private readonly prepare: (conn: MysqlConnection, first: boolean) => Promise<void> = async () => {},
    private readonly signal?: AbortSignal,
    /** The service's outage policy: waits for the server for as long as it says (else `reconnectRetries`). */
    private readonly reach?: Reachability,
  ) {}

  /** The server's id of the current connection (for KILL in tests and logs). */
  get threadId(): number | undefined {
    return this.conn?.threadId;
  }

  async run<T>(work: (conn: MysqlConnection) => Promise<T>): Promise<T> {
    const once = async () => {
      if (this.closed) throw new CrmUnifyError('SHUTDOWN', 'mysql source closed');
      const conn = await this.live();
      try {
        return await work(conn);
      } catch (err) {
        if (isConnectionLost(err)) this.discard();
        throw err;
      }
    };
    try {
      if (this.reach) return await this.reach.attempt(once, (err) => !this.closed && isUnreachable(err));
      return await withRetry(once, {
        retries: this.config.reconnectRetries,
        baseMs: this.config.reconnectBaseMs,
        maxMs: this.config.reconnectMaxMs,
        retriable: (err) => !this.closed && isConnectionLost(err),
        onRetry: () => this.reconnects++,
        ...(this.signal ? { signal: this.signal } : {}),
      });
    } catch (err) {
      if (err instanceof CrmUnifyError) throw err;
      // With a reach, say which source and which setting: `mysql: Access denied` alone sends an operator searching.
      const where = this.reach
        ? `${this.reach.target.component} (${this.reach.target.endpoint}, set by ${this.reach.target.setBy})`
        : 'mysql';
      throw new CrmUnifyError('SOURCE_READ_FAILED', `${where}: ${errorMessage(err)}`, {
        cause: err,
        retriable: isConnectionLost(err),
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reach?.cancel();
    const conn = this.conn;
    this.conn = undefined;
    await conn?.end().catch(() => conn.destroy());
  }

  private async live(): Promise<MysqlConnection> {
    if (this.conn) return this.conn;
    const conn = await this.connect();
    try {
      await this.prepare(conn, !this.prepared);
    } catch (err) {
      conn.destroy();
      throw err;
    }
    this.prepared = true;
    this.conn = conn;
    return conn;
  }

  private discard(): void {
    this.conn?.destroy();
    this.conn = undefined;
  }
}
