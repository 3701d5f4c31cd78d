import { setTimeout as sleep } from 'node:timers/promises';
import ZongJi from '@vlasky/zongji';
import { CrmUnifyError } from '../../core/errors.js';
import type { MysqlSourceConfig } from './config.js';
import type { MysqlConnection } from './connection.js';
import { quoteTable } from './rows.js';
import { isPositionLost, isPrivilegeRefusal, stopZongJi } from './zongji.js';

type Checked = Pick<MysqlSourceConfig, 'url' | 'tables' | 'binlogServerId'>;

const errnoOf = (err: unknown) => (err as { errno?: unknown } | null)?.errno;

/**
 * Everything binlog mode needs from the server and the user, each missing thing its own line,
 * all at once (SOURCE_READ_FAILED, not retried): `log_bin`, `binlog_format=ROW`,
 * `binlog_row_image=FULL`, REPLICATION CLIENT, REPLICATION SLAVE, SELECT on each followed table.
 * The grants are probed by doing what the source does, not by reading SHOW GRANTS, so roles,
 * wildcards and MariaDB's renamed privileges (BINLOG MONITOR) count as the server counts them.
 */
export async function checkBinlogServer(conn: MysqlConnection, config: Checked, source: string): Promise<void> {
  const [rows] = await conn.query(
    'SELECT @@log_bin AS logBin, @@binlog_format AS format, @@binlog_row_image AS image, CURRENT_USER() AS user, DATABASE() AS db',
  );
  const v = (rows as Array<{ logBin: unknown; format: unknown; image: unknown; user: unknown; db: unknown }>)[0]!;
  const logBin = ['1', 'ON'].includes(String(v.logBin).toUpperCase());
  const user = String(v.user).replace(/^(.*)@([^@]*)$/, "'$1'@'$2'");
  const problems: string[] = [];
  if (!logBin) problems.push('log_bin is OFF (start the server with --log-bin)');
  if (String(v.format).toUpperCase() !== 'ROW')
    problems.push(`binlog_format is ${String(v.format)}; binlog mode needs ROW`);
  if (String(v.image).toUpperCase() !== 'FULL')
    problems.push(`binlog_row_image is ${String(v.image)}; binlog mode needs FULL (a DELETE must carry the whole row)`);
  if (logBin) {
    // Reading where the binlog is (SHOW BINARY LOGS / MASTER STATUS) needs REPLICATION CLIENT.
    try {
      await conn.query('SHOW BINARY LOGS');
    } catch (err) {
      if (!isPrivilegeRefusal(err)) throw err;
      problems.push(
        `${user} lacks REPLICATION CLIENT (MariaDB 10.5+: BINLOG MONITOR), needed to find binlog positions: GRANT REPLICATION CLIENT ON *.* TO ${user}`,
      );
    }
    if ((await dumpRefused(config)) === true) {
      problems.push(
        `${user} lacks REPLICATION SLAVE (MySQL 8.0.22+: REPLICATION REPLICA), needed to read the binlog: GRANT REPLICATION SLAVE ON *.* TO ${user}`,
      );
    }
  }
  for (const table of config.tables) {
    try {
      await conn.query(`SELECT * FROM ${quoteTable(table)} LIMIT 0`);
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === 1142)
        problems.push(
          `${user} may not SELECT from ${String(v.db)}.${table}: GRANT SELECT ON ${String(v.db)}.${table} TO ${user}`,
        );
      else if (errno === 1146) problems.push(`table ${String(v.db)}.${table} does not exist`);
      else throw err;
    }
  }
  if (problems.length > 0) {
    throw new CrmUnifyError(
      'SOURCE_READ_FAILED',
      `${source}: the server cannot serve binlog mode:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { details: { problems } },
    );
  }
}

/**
 * Whether the server refuses us a binlog dump for want of REPLICATION SLAVE: a dump of a file
 * that cannot exist is refused with 1227 without the grant and with 1236 (no such file) with it,
 * so nothing is read. It announces our own binlogServerId, which no other reader may use; a
 * left-over dump thread of ours (a killed process) is ended, as our next stream would end it.
 * Undefined when the answer is neither (the stream will report it in its own words).
 */
async function dumpRefused(config: Checked): Promise<boolean | undefined> {
  const client = new ZongJi({ uri: config.url });
  try {
    const answer = await Promise.race([
      new Promise<unknown>((resolve) => {
        client.on('error', resolve);
        client.on('binlog', () => resolve(undefined));
        client.start({
          serverId: config.binlogServerId,
          filename: 'crm-unify-grant-check.000000',
          position: 4,
          includeEvents: ['xid'],
        });
      }),
      sleep(10_000, undefined, { ref: false }),
    ]);
    if (isPrivilegeRefusal(answer)) return true;
    return isPositionLost(answer) ? false : undefined;
  } finally {
    await stopZongJi(client, 2_000, { ref: false });
  }
}
