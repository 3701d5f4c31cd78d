import ZongJi, { type AnyBinlogEvent, type QueryEvent } from '@vlasky/zongji';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { comparePositions, currentPosition, type BinlogPosition } from './binlog-position.js';
import type { MysqlSourceConfig } from './config.js';
import { connector, type MysqlConnection } from './connection.js';
import { binlogKey, FULL_DONE, fullKey, type PositionStore } from './positions.js';
import { resetMysqlPositions, type MysqlResetTarget } from './reset.js';
import { stopZongJi } from './zongji.js';

type Server = Pick<MysqlSourceConfig, 'url' | 'binlogServerId'>;
type Place = Pick<BinlogPosition, 'file' | 'pos'>;

/** Nothing more arrives for this long after the server sent what it has: the scan is at the end. */
const IDLE_MS = 3_000;

/**
 * `crm-unify replay shop-a --to …` in binlog mode (sources stopped). Returns what it did, for the operator.
 * - `earliest`: forgets the full positions and the binlog position, so the next run takes a new
 *   full extract and streams from its snapshot's position. The binlog is not replayed from its
 *   oldest retained file: that would start mid-history, and usually before the tables' own DDL.
 * - a time: the stream restarts at the first transaction committed at or after that second,
 *   found in the binlogs the server still keeps (by event time); the full extract is left as it is.
 *   A time before the oldest retained binlog is refused, naming that binlog and its start.
 * - `latest`: the stream continues from the server's current end and the full extract counts as done.
 */
export async function resetBinlogPositions(
  positions: PositionStore,
  config: MysqlSourceConfig,
  to: MysqlResetTarget,
): Promise<string> {
  if (to instanceof Date && Number.isNaN(to.getTime()))
    throw new CrmUnifyError('USAGE', 'replay time is not a valid date');
  const key = binlogKey(config.name);
  if (to === 'earliest') {
    await resetMysqlPositions(positions, config, 'earliest');
    return `${config.name}: binlog mode: full extract and binlog positions forgotten; the next run takes a new full extract (one consistent snapshot) and streams from its binlog position`;
  }
  if (to === 'latest') {
    const end = await withConnection(config, currentPosition);
    await positions.put(key, JSON.stringify(end));
    for (const table of config.tables) await positions.put(fullKey(config.name, table), FULL_DONE);
    return `${config.name}: binlog mode: the stream continues from the server's end, ${end.file}:${end.pos}; the full extract counts as done`;
  }
  const at = await binlogPositionAt(config, to);
  await positions.put(key, JSON.stringify(at));
  return `${config.name}: binlog mode: the stream restarts at ${at.file}:${at.pos}, the first transaction committed at or after ${to.toISOString()}`;
}

/**
 * The binlog position of the first transaction (any table) with an event at or after `time`'s
 * second (the binlog has whole seconds), or the server's end when there is none. Binlog files are
 * searched by the time of their first event, then the one holding `time` is read up to it.
 */
export async function binlogPositionAt(server: Server, time: Date): Promise<BinlogPosition> {
  const at = Math.floor(time.getTime() / 1000) * 1000;
  const { files, end } = await withConnection(server, async (conn) => {
    let logs: Array<{ Log_name: string }>;
    try {
      [logs] = (await conn.query('SHOW BINARY LOGS')) as unknown as [typeof logs];
    } catch (err) {
      throw new CrmUnifyError(
        'SOURCE_READ_FAILED',
        `replay: cannot list the server's binlogs (${errorMessage(err)}); binlog mode needs REPLICATION CLIENT`,
        { cause: err },
      );
    }
    return { files: logs.map((l) => l.Log_name), end: await currentPosition(conn) };
  });
  const starts = new Map<string, number>();
  const startOf = async (file: string) => {
    let t = starts.get(file);
    if (t === undefined) {
      t =
        (await scan(server, { file, pos: 4 }, end, (e) => (e.timestamp > 0 ? e.timestamp : undefined))) ??
        Number.POSITIVE_INFINITY;
      starts.set(file, t);
    }
    return t;
  };
  if (files.length === 0 || (await startOf(files[0]!)) > at) {
    const oldest =
      files[0] === undefined
        ? 'none'
        : `${files[0]}, which starts at ${new Date(await startOf(files[0])).toISOString()}`;
    throw new CrmUnifyError(
      'USAGE',
      `replay: the binlogs the server keeps do not reach back to ${time.toISOString()} (oldest: ${oldest}); ` +
        'changes before it are gone from the binlog: replay --to earliest takes a new full extract instead',
    );
  }
  // The last file that starts at or before `at`.
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await startOf(files[mid]!)) <= at) lo = mid;
    else hi = mid - 1;
  }
  // Read on from there; the answer is the end of the last transaction before the first event at
  // or after `at` (events keep their statement's time, so a transaction's first such event counts).
  let boundary: Place = { file: files[lo]!, pos: 4 };
  const found = await scan(server, boundary, end, (e, place) => {
    if (e.timestamp >= at) return boundary;
    const name = e.getEventName();
    if (
      name === 'xid' ||
      (name === 'query' && !/^\s*(BEGIN|XA\s+START|XA\s+END|SAVEPOINT)\b/i.test((e as QueryEvent).query))
    )
      boundary = place;
    return undefined;
  });
  return found ? { file: found.file, pos: found.pos, rows: 0 } : end;
}

/**
 * Streams the binlog from `from` (no row events) and hands each event and the client's resume
 * point after it to `visit` until it returns a value, the resume point reaches `end`, or nothing
 * arrives for IDLE_MS.
 */
async function scan<T>(
  server: Server,
  from: Place,
  end: Place,
  visit: (event: AnyBinlogEvent, place: Place) => T | undefined,
): Promise<T | undefined> {
  const client = new ZongJi({ uri: server.url });
  let idle: NodeJS.Timeout | undefined;
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      idle = setTimeout(() => resolve(undefined), IDLE_MS * 3);
      client.on('error', (err: unknown) =>
        reject(
          new CrmUnifyError(
            'SOURCE_READ_FAILED',
            `replay: reading the binlog from ${from.file}:${from.pos}: ${errorMessage(err)}`,
            { cause: err },
          ),
        ),
      );
      client.on('binlog', (event: AnyBinlogEvent) => {
        clearTimeout(idle);
        idle = setTimeout(() => resolve(undefined), IDLE_MS);
        const place = { file: client.options.filename!, pos: client.options.position! };
        const result = visit(event, place);
        if (result !== undefined) resolve(result);
        else if (comparePositions(place, end) >= 0) resolve(undefined);
      });
      client.start({
        serverId: server.binlogServerId,
        filename: from.file,
        position: from.pos,
        nonBlock: true,
        excludeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows'],
      });
    });
  } finally {
    clearTimeout(idle);
    await stopZongJi(client, 2_000, { ref: false });
  }
}

async function withConnection<T>(
  server: Pick<MysqlSourceConfig, 'url'>,
  f: (conn: MysqlConnection) => Promise<T>,
): Promise<T> {
  const conn = await connector(server.url)();
  try {
    return await f(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}
