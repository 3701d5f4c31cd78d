// kill -9 of the binlog stream mid-stream: a child process streams Shop A's changes while a writer
// commits inserts (200 rows in one statement), updates, hard deletes and mixed transactions; it is
// SIGKILLed at random moments and started again from its saved position; a last run to the
// server's end. What it received must be exactly what one uninterrupted read of the same binlog
// gives: nothing lost, nothing twice, in the same order.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentPosition,
  parseBinlogPosition,
  type BinlogPosition,
} from '../../src/connectors/mysql/binlog-position.js';
import { MysqlBinlogSource } from '../../src/connectors/mysql/binlog.source.js';
import { MysqlSourceConfigSchema } from '../../src/connectors/mysql/config.js';
import { binlogKey, MemoryPositionStore } from '../../src/connectors/mysql/positions.js';
import { shopASchema } from '../../src/gen/shop-a-schema.js';
import { mysqlUrl } from '../support/inject.js';
import { binlogServer, type BinlogServer } from '../support/mysql-binlog.js';
import { createTestDatabase, type TestDatabase } from '../support/mysql-database.js';
import { killPid, tailOf } from '../support/processes.js';
import { line, readState, startJournal } from './binlog-stream-child.js';

const CHILD = resolve(import.meta.dirname, 'binlog-stream-child.ts');
const T = '2024-03-01 10:00:00';

let server: BinlogServer;
let db: TestDatabase;
let admin: mysql.Connection;
let dir: string;

beforeAll(async () => {
  server = await binlogServer(mysqlUrl());
  db = await createTestDatabase(server.url, 'binlog_kill');
  admin = await mysql.createConnection({ uri: db.url, charset: 'UTF8MB4_UNICODE_CI', multipleStatements: true });
  for (const ddl of shopASchema) await admin.query(ddl);
  dir = await mkdtemp(join(tmpdir(), 'crm-unify-binlog-kill-'));
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function spawnChild(
  file: string,
  once = false,
): { child: ChildProcess; exited: Promise<number | null>; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // vitest's worker hooks must not leak into the child
  const stderr = join(dir, 'child.stderr.log');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db.url, file, ...(once ? ['once'] : [])], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (b: Buffer) => process.stderr.write(`[binlog child] ${b.toString()}`));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exited, stderr };
}

/** One writer connection, one change after another until stopped: 200-row inserts, updates, deletes, mixed transactions. */
function startWriter(): { stop: () => Promise<number> } {
  let stopped = false;
  let next = 1;
  let transactions = 0;
  const done = (async () => {
    const w = await mysql.createConnection({ uri: db.url, charset: 'UTF8MB4_UNICODE_CI', multipleStatements: true });
    try {
      for (let round = 1; !stopped; round++) {
        const first = next;
        const rows = Array.from({ length: 200 }, () => [`Ряд ${next++}`, '7707083893', T, T]);
        await w.query('INSERT INTO companies (name, inn, created_at, updated_at) VALUES ?', [rows]);
        await w.query("UPDATE companies SET name = CONCAT(name, ' v', ?) WHERE id BETWEEN ? AND ?", [
          round,
          first,
          first + 9,
        ]);
        await w.query('DELETE FROM companies WHERE id BETWEEN ? AND ?', [first + 10, first + 14]);
        await w.query(
          "BEGIN; INSERT INTO contacts (company_id, full_name, updated_at) VALUES (?, CONCAT('Контакт ', ?), ?); UPDATE companies SET name = CONCAT(name, ' m') WHERE id = ?; DELETE FROM companies WHERE id = ?; COMMIT",
          [first, round, T, first + 20, first + 21],
        );
        transactions += 4;
        await sleep(50);
      }
    } finally {
      await w.end();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return transactions;
    },
  };
}

const config = (once: boolean) =>
  MysqlSourceConfigSchema.parse({ url: db.url, mode: 'binlog', once, pollIntervalMs: 100 });

/** Every change from `position` to the server's end (`max`: stop after that many), read in this process without a kill. */
async function readFrom(position: string, max = Infinity): Promise<Array<{ line: string; at: BinlogPosition }>> {
  const positions = new MemoryPositionStore();
  positions.data.set(binlogKey('shop-a'), position);
  const source = new MysqlBinlogSource({ config: config(true), positions });
  const out: Array<{ line: string; at: BinlogPosition }> = [];
  while (out.length < max) {
    const { records, done } = await source.read(Math.min(1000, max - out.length));
    for (const r of records) {
      out.push({ line: line(r.value), at: parseBinlogPosition(r.position.resume!) });
      r.ack();
    }
    if (done) break;
  }
  await source.close();
  return out;
}

describe('the binlog stream under kill -9', () => {
  it('restarts from the saved position after each SIGKILL with nothing lost and nothing twice', async () => {
    const file = join(dir, 'journal.jsonl');
    const from = await currentPosition(admin);
    startJournal(file, JSON.stringify(from));
    const writer = startWriter();
    const kills: Array<{ received: number; midTransaction: boolean }> = [];
    try {
      // Kill until at least 4 kills and one that left a position inside a transaction (a 200-row insert half read).
      while (kills.length < 4 || (!kills.some((k) => k.midTransaction) && kills.length < 12)) {
        const before = readState(file).received.length;
        const run = spawnChild(file);
        // Streaming: it has committed something since it started.
        for (let i = 0; i < 200 && readState(file).received.length === before; i++) await sleep(50);
        await sleep(100 + Math.floor(Math.random() * 600));
        await killPid(run.child.pid!);
        await run.exited;
        // Mid-transaction: the next change belongs to the transaction the saved position is in, so the restart must skip its first rows.
        const state = readState(file);
        const saved = parseBinlogPosition(state.position);
        const [next] = await readFrom(state.position, 1);
        kills.push({
          received: state.received.length,
          midTransaction:
            next !== undefined &&
            next.at.file === saved.file &&
            next.at.pos === saved.pos &&
            next.at.rows === saved.rows + 1,
        });
      }
    } finally {
      await writer.stop();
    }
    const last = spawnChild(file, true);
    const code = await Promise.race([last.exited, sleep(60_000).then(() => 'timeout')]);
    if (code !== 0) last.child.kill('SIGKILL');
    expect(code, tailOf(last.stderr)).toBe(0);

    // The same binlog read once, in this process, without a kill.
    const expected = (await readFrom(JSON.stringify(from))).map((c) => c.line);
    const received = readState(file).received;
    process.stderr.write(
      `[binlog kill] ${kills.length} kills, committed changes at each: ${kills.map((k) => `${k.received}${k.midTransaction ? ' (mid-transaction)' : ''}`).join(', ')}; ${expected.length} changes in all\n`,
    );
    expect(new Set(expected).size).toBe(expected.length); // every change is distinct (names carry versions)
    expect(expected.length).toBeGreaterThan(1000);
    expect(kills.length).toBeGreaterThanOrEqual(4);
    expect(
      kills.some((k) => k.midTransaction),
      JSON.stringify(kills),
    ).toBe(true);
    expect(received.length).toBe(expected.length);
    expect(received).toEqual(expected);
  });
});
