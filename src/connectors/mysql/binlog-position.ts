import { CrmUnifyError } from '../../core/errors.js';
import type { MysqlConnection } from './connection.js';

/**
 * A place in the binlog: the transaction's start as the client reports it (`file` + `pos`), and
 * how many of that transaction's row changes (of our tables) were already delivered. The server
 * can only resume at transaction boundaries, so `rows` is what makes a restart repeat nothing.
 * `gtid` is the transaction's GTID where the server has GTIDs (kept for failover, not yet used
 * to resume).
 */
export interface BinlogPosition {
  file: string;
  pos: number;
  rows: number;
  gtid?: string;
}

export function parseBinlogPosition(text: string): BinlogPosition {
  const p = JSON.parse(text) as Partial<BinlogPosition>;
  if (typeof p.file !== 'string' || !Number.isSafeInteger(p.pos) || !Number.isSafeInteger(p.rows)) {
    throw new CrmUnifyError('SOURCE_READ_FAILED', `not a binlog position: ${text}`);
  }
  return { file: p.file, pos: p.pos!, rows: p.rows!, ...(p.gtid ? { gtid: p.gtid } : {}) };
}

/** Orders two places in one server's binlog (files are numbered `<base>.000001`, `.000002`, …). */
export function comparePositions(
  a: Pick<BinlogPosition, 'file' | 'pos'>,
  b: Pick<BinlogPosition, 'file' | 'pos'>,
): number {
  const seq = (file: string) => Number(file.slice(file.lastIndexOf('.') + 1));
  return seq(a.file) - seq(b.file) || a.pos - b.pos;
}

/** The server's current end of the binlog (MySQL 8.4 renamed SHOW MASTER STATUS). */
export async function currentPosition(conn: MysqlConnection): Promise<BinlogPosition> {
  let status: Array<{ File: string; Position: number | string }>;
  try {
    [status] = (await conn.query('SHOW BINARY LOG STATUS')) as unknown as [typeof status];
  } catch {
    [status] = (await conn.query('SHOW MASTER STATUS')) as unknown as [typeof status];
  }
  const s = status[0];
  if (!s) throw new CrmUnifyError('SOURCE_READ_FAILED', 'the server reports no binlog position (is log_bin on?)');
  const gtid = await serverGtid(conn);
  return { file: s.File, pos: Number(s.Position), rows: 0, ...(gtid ? { gtid } : {}) };
}

/** MariaDB's gtid_binlog_pos or MySQL's gtid_executed; undefined where the server has neither. */
async function serverGtid(conn: MysqlConnection): Promise<string | undefined> {
  for (const sql of ['SELECT @@gtid_binlog_pos AS g', 'SELECT @@gtid_executed AS g']) {
    try {
      const [rows] = await conn.query(sql);
      const g = (rows as Array<{ g: unknown }>)[0]?.g;
      if (typeof g === 'string' && g !== '') return g;
    } catch {
      // not this flavour
    }
  }
  return undefined;
}

/**
 * Opens the full extract's snapshot transaction (REPEATABLE READ must be set) and returns the
 * binlog position it corresponds to: the stream started there sees exactly the transactions the
 * snapshot does not. MariaDB (and Percona Server) report it in the status variables
 * `binlog_snapshot_file` / `binlog_snapshot_position`, consistent with the snapshot without any
 * lock. MySQL has no such variables: there the global read lock is held only while the snapshot
 * opens and the position is read (Debezium's way); UNLOCK TABLES does not end the transaction,
 * since no LOCK TABLES was used. `how: 'lock'` forces that path (tests, on MariaDB).
 */
export async function openSnapshotAtBinlogPosition(
  conn: MysqlConnection,
  how: 'auto' | 'lock' = 'auto',
): Promise<BinlogPosition> {
  const start = 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY';
  if (how === 'auto') {
    await conn.query(start);
    const [rows] = await conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const vars = new Map(
      (rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name.toLowerCase(), r.Value]),
    );
    const file = vars.get('binlog_snapshot_file');
    const pos = Number(vars.get('binlog_snapshot_position'));
    if (file && Number.isSafeInteger(pos) && pos > 0) return { file, pos, rows: 0 };
    await conn.query('ROLLBACK');
  }
  await conn.query('FLUSH TABLES WITH READ LOCK');
  try {
    await conn.query(start);
    return await currentPosition(conn);
  } finally {
    await conn.query('UNLOCK TABLES');
  }
}
