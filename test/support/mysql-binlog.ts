// A MySQL-compatible server whose binary log change data capture can read (binlog tests only).
// The shared test server is used when it already logs rows in full; otherwise (the local server
// here has log_bin=OFF) a throwaway mariadbd/mysqld with a binlog is started for the suite that
// asks, so the rest of `npm test` never pays for it.
import mysql from 'mysql2/promise';
import { startThrowawayMysql } from './mysql-server.js';

export interface BinlogServer {
  /** Base URL without a database. */
  url: string;
  source: 'env' | 'shared' | 'started';
  /** Stops a started server; a no-op otherwise. */
  stop(): Promise<void>;
}

/** Why the server cannot feed CDC (each unmet requirement), or [] when it can. */
export async function binlogShortfalls(url: string): Promise<string[]> {
  const conn = await mysql.createConnection({ uri: url });
  try {
    const [rows] = await conn.query(
      'SELECT @@log_bin AS logBin, @@binlog_format AS format, @@binlog_row_image AS image',
    );
    const v = (rows as Array<{ logBin: number | string; format: string; image: string }>)[0]!;
    const out: string[] = [];
    if (String(v.logBin) !== '1' && String(v.logBin).toUpperCase() !== 'ON') out.push('log_bin is OFF');
    if (String(v.format).toUpperCase() !== 'ROW') out.push(`binlog_format is ${v.format}, not ROW`);
    if (String(v.image).toUpperCase() !== 'FULL') out.push(`binlog_row_image is ${v.image}, not FULL`);
    return out;
  } finally {
    await conn.end();
  }
}

/**
 * MYSQL_BINLOG_URL if set; else `sharedUrl` when it logs rows in full; else a throwaway server
 * with `log_bin`, `binlog_format=ROW`, `binlog_row_image=FULL`. Call stop() in afterAll.
 */
export async function binlogServer(
  sharedUrl: string,
  log: (message: string) => void = (m) => process.stderr.write(`[services] ${m}\n`),
): Promise<BinlogServer> {
  const fromEnv = process.env.MYSQL_BINLOG_URL;
  if (fromEnv) return { url: fromEnv, source: 'env', stop: async () => {} };
  const shortfalls = await binlogShortfalls(sharedUrl);
  if (shortfalls.length === 0) return { url: sharedUrl, source: 'shared', stop: async () => {} };
  log(`mysql: the shared server cannot feed the binlog tests (${shortfalls.join(', ')}); starting one that can`);
  try {
    const server = await startThrowawayMysql({ binlog: true, log }, shortfalls.join(', '));
    return { url: server.url, source: 'started', stop: () => server.stop() };
  } catch (error) {
    throw new Error(
      `The binlog tests need a server with a binlog: the test server has ${shortfalls.join(', ')}, and none could be started ` +
        `(${error instanceof Error ? error.message : String(error)}). Install MariaDB or MySQL (Debian: apt-get install -y mariadb-server) ` +
        'or set MYSQL_BINLOG_URL to a server with log_bin, binlog_format=ROW and binlog_row_image=FULL.',
      { cause: error },
    );
  }
}
