// Finds a MySQL-compatible server for the tests: MYSQL_URL if set, else the local server at
// 127.0.0.1:3306 (CI machines run MariaDB there, root without password), else a throwaway
// mariadbd/mysqld in a temp dir on its own port, removed again by stop().
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { freePorts, LOOPBACK, waitForPort } from './net.js';
import { findExecutable, forgetOnExit, stopOnExit, stopPid, tailOf } from './processes.js';

export { createTestDatabase, type TestDatabase } from './mysql-database.js';

export const LOCAL_MYSQL_URL = `mysql://root@${LOOPBACK}:3306`;
const SERVER_DIRS = ['/usr/sbin', '/usr/libexec', '/usr/local/mysql/bin'];
const READY_TIMEOUT_MS = 60_000;

export interface MysqlServer {
  /** Base URL without a database, e.g. mysql://root@127.0.0.1:3306. */
  url: string;
  /** Where it came from; only 'started' servers are stopped by stop(). */
  source: 'env' | 'local' | 'started';
  pid?: number;
  /** Temp dir of a started server (data, socket, error log). */
  runDir?: string;
  /** Stops and deletes a started server; a no-op for servers the harness did not start. */
  stop(): Promise<void>;
}

const defaultLog = (message: string) => process.stderr.write(`[services] ${message}\n`);

/** Error text of a failed connect + SELECT 1, or undefined when the server answers. */
export async function probeMysql(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({ uri: url, connectTimeout: timeoutMs });
    await connection.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await connection?.end().catch(() => {});
  }
}

export async function findOrStartMysql(
  opts: { detached?: boolean; log?: (message: string) => void } = {},
): Promise<MysqlServer> {
  const log = opts.log ?? defaultLog;
  const fromEnv = process.env.MYSQL_URL;
  if (fromEnv) {
    log(`mysql: using MYSQL_URL (${redact(fromEnv)})`);
    return { url: fromEnv, source: 'env', stop: async () => {} };
  }

  const localError = await probeMysql(LOCAL_MYSQL_URL);
  if (localError === undefined) {
    log(`mysql: using the local server at ${LOCAL_MYSQL_URL}`);
    return { url: LOCAL_MYSQL_URL, source: 'local', stop: async () => {} };
  }
  return startThrowawayMysql({ ...opts, log }, localError);
}

/**
 * A private mariadbd/mysqld with a fresh data dir, 127.0.0.1 only, root without password.
 * `binlog: true` turns on the binary log in the form change data capture needs (ROW, FULL images).
 */
export async function startThrowawayMysql(
  opts: { detached?: boolean; log?: (message: string) => void; binlog?: boolean },
  whyNotLocal = 'not tried',
): Promise<MysqlServer> {
  const log = opts.log ?? defaultLog;
  const server = findExecutable('mariadbd', SERVER_DIRS) ?? findExecutable('mysqld', SERVER_DIRS);
  if (!server) {
    throw new Error(
      `No MySQL for the integration tests: MYSQL_URL is not set, ${LOCAL_MYSQL_URL} does not answer (${whyNotLocal}), ` +
        'and neither mariadbd nor mysqld is installed. Install MariaDB or MySQL (Debian: apt-get install -y mariadb-server) ' +
        'or set MYSQL_URL=mysql://user:password@host:port.',
    );
  }
  const started = Date.now();
  const runDir = mkdtempSync(join(tmpdir(), 'crm-unify-mysql-'));
  const dataDir = join(runDir, 'data');
  const errorLog = join(runDir, 'error.log');
  // mysqld refuses to run as root unless told to; as anyone else the flag must name that user.
  const user = `--user=${userInfo().username}`;
  const isMariaDb =
    basename(server) === 'mariadbd' ||
    spawnSync(server, ['--version'], { encoding: 'utf8' }).stdout.includes('MariaDB');
  try {
    initialise(server, isMariaDb, dataDir, user, errorLog);
    const [port] = (await freePorts(1)) as [number];
    const out = openSync(errorLog, 'a');
    const proc = spawn(
      server,
      [
        '--no-defaults', // ignore /etc/mysql/my.cnf: it may pin port, socket or datadir
        user,
        `--datadir=${dataDir}`,
        `--port=${port}`,
        `--bind-address=${LOOPBACK}`,
        `--socket=${join(runDir, 'mysqld.sock')}`,
        `--pid-file=${join(runDir, 'mysqld.pid')}`,
        `--log-error=${errorLog}`,
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--innodb-buffer-pool-size=128M',
        // A throwaway server needs no durability per commit: fsync once a second.
        '--innodb-flush-log-at-trx-commit=2',
        ...(opts.binlog
          ? [`--log-bin=${join(runDir, 'binlog')}`, '--server-id=1', '--binlog-format=ROW', '--binlog-row-image=FULL']
          : ['--loose-skip-log-bin']),
        '--loose-mysqlx=OFF',
      ],
      { stdio: ['ignore', out, out], detached: opts.detached ?? false },
    );
    closeSync(out);
    const pid = proc.pid;
    if (pid === undefined) throw new Error(`could not spawn ${server}`);
    if (opts.detached) proc.unref();
    else stopOnExit(pid);
    let exited: Error | undefined;
    proc.once('exit', (code, signal) => {
      forgetOnExit(pid);
      exited = new Error(`${server} exited (code ${code}, signal ${signal}); ${errorLog}:\n${tailOf(errorLog)}`);
    });
    const url = `mysql://root@${LOOPBACK}:${port}`;
    const stop = async () => {
      await stopPid(pid, { graceMs: 15_000, expect: runDir });
      rmSync(runDir, { recursive: true, force: true });
    };
    try {
      await waitForPort(port, { timeoutMs: READY_TIMEOUT_MS, failed: () => exited, what: basename(server) });
      await waitForQuery(url, started + READY_TIMEOUT_MS, () => exited);
    } catch (error) {
      await stop();
      throw error;
    }
    log(
      `mysql: started ${basename(server)}${opts.binlog ? ' with a binlog' : ''} at ${url} in ${Date.now() - started} ms (data ${dataDir})`,
    );
    return { url, source: 'started', pid, runDir, stop };
  } catch (error) {
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
}

/** Creates the system tables; root gets an empty password on 127.0.0.1 as well as localhost. */
function initialise(server: string, isMariaDb: boolean, dataDir: string, user: string, errorLog: string): void {
  const installDb =
    findExecutable('mariadb-install-db', SERVER_DIRS) ?? findExecutable('mysql_install_db', SERVER_DIRS);
  const [command, args] =
    isMariaDb && installDb
      ? [
          installDb,
          ['--no-defaults', user, `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
        ]
      : [server, ['--no-defaults', user, `--datadir=${dataDir}`, '--initialize-insecure', `--log-error=${errorLog}`]];
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${tailOf(errorLog)}`.slice(-4_000);
    throw new Error(
      `${basename(command)} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${output}`,
    );
  }
}

async function waitForQuery(url: string, deadline: number, failed: () => Error | undefined): Promise<void> {
  for (;;) {
    const failure = failed();
    if (failure) throw failure;
    const error = await probeMysql(url);
    if (error === undefined) return;
    if (Date.now() >= deadline) throw new Error(`MySQL at ${url} did not answer in time: ${error}`);
    await sleep(200);
  }
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'unparsable URL';
  }
}
