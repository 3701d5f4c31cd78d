import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mysqlUrl } from '../../../test/support/inject.js';
import { binlogServer, binlogShortfalls, type BinlogServer } from '../../../test/support/mysql-binlog.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/mysql-database.js';
import { freePorts } from '../../../test/support/net.js';
import { tcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.js';
import { drain, expectCreditHeld, take } from '../../../test/sources/contract.js';
import type { Envelope } from '../../core/envelope.js';
import type { CrmUnifyError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { Reachability, type ConnectPolicy, type ReachState } from '../../core/reachability.js';
import { shopASchema } from '../../gen/shop-a-schema.js';
import { Health } from '../../metrics/health.js';
import { mapShopACompany, mapShopAContact, type ShopAContactRow, type ShopACompanyRow } from '../../mappers/shop-a.js';
import { currentPosition, openSnapshotAtBinlogPosition, parseBinlogPosition } from './binlog-position.js';
import { binlogPositionAt, resetBinlogPositions } from './binlog-replay.js';
import { checkBinlogStart, MysqlBinlogSource } from './binlog.source.js';
import { MysqlSourceConfigSchema, type MysqlSourceConfig } from './config.js';
import { MysqlDeltaSource } from './mysql-delta.source.js';
import { MysqlFullSource } from './mysql-full.source.js';
import { binlogKey, deltaKey, fullKey, MemoryPositionStore } from './positions.js';
import type { MysqlRow } from './rows.js';

// Runs on a server with a binlog: the shared test server if it has one, else a throwaway
// mariadbd started for this file only (test/support/mysql-binlog.ts).
let server: BinlogServer;
let db: TestDatabase;
let admin: mysql.Connection;

beforeAll(async () => {
  server = await binlogServer(mysqlUrl());
  db = await createTestDatabase(server.url, 'binlog_source');
  admin = await mysql.createConnection({
    uri: db.url,
    charset: 'UTF8MB4_UNICODE_CI',
    dateStrings: true,
    multipleStatements: true,
  });
  for (const ddl of shopASchema) await admin.query(ddl);
  await admin.query(
    'CREATE TABLE orders (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, note VARCHAR(100)) DEFAULT CHARSET=cp1251',
  );
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
  await server?.stop();
});
beforeEach(async () => {
  await admin.query(
    'DELETE FROM companies; DELETE FROM contacts; ALTER TABLE companies AUTO_INCREMENT = 1; ALTER TABLE contacts AUTO_INCREMENT = 1',
  );
});

function config(over: Partial<MysqlSourceConfig> = {}): MysqlSourceConfig {
  return MysqlSourceConfigSchema.parse({
    url: db.url,
    mode: 'binlog',
    pollIntervalMs: 100,
    reconnectBaseMs: 50,
    ...over,
  });
}

/** A source that starts at the server's current end (no stored position). */
function source(positions = new MemoryPositionStore(), over: Partial<MysqlSourceConfig> = {}): MysqlBinlogSource {
  return new MysqlBinlogSource({ config: config(over), positions });
}

const T = '2024-03-01 10:00:00';
const company = (name: string, inn = '7707083893') => [name, inn, T, T];
async function insertCompanies(...rows: unknown[][]): Promise<void> {
  await admin.query('INSERT INTO companies (name, inn, created_at, updated_at) VALUES ?', [rows]);
}

/** Stores the server's current end as the binlog position (a stream without an extract). */
async function markNow(positions: MemoryPositionStore): Promise<void> {
  positions.data.set(binlogKey('shop-a'), JSON.stringify(await currentPosition(admin)));
}

const canonical = (env: Envelope<MysqlRow>) =>
  env.value.table === 'companies'
    ? mapShopACompany(env.value.row as unknown as ShopACompanyRow)
    : mapShopAContact(env.value.row as unknown as ShopAContactRow);
const summary = (envs: Envelope<MysqlRow>[]) =>
  envs.map((e) => `${e.value.op} ${e.value.table} ${String(e.value.row.id)}`);

/** Reads (acking) until a company with this name arrives; what came before it, and it. */
async function until(src: MysqlBinlogSource, name: string): Promise<Envelope<MysqlRow>[]> {
  const out: Envelope<MysqlRow>[] = [];
  while (!out.some((e) => e.value.table === 'companies' && e.value.row.name === name)) {
    const { records } = await src.read(100);
    for (const r of records) r.ack();
    out.push(...records);
  }
  return out;
}

describe('the binlog test server', () => {
  it('logs rows in full (log_bin, ROW, FULL images)', async () => {
    expect(await binlogShortfalls(server.url)).toEqual([]);
  });
});

describe('MysqlBinlogSource', () => {
  it('delivers inserts, updates and hard deletes in commit order, as the changes the Shop A mapper makes of them', async () => {
    const src = source();
    expect(await src.read(10)).toEqual({ records: [], done: false }); // started at the current end
    await insertCompanies(company('ООО «Ромашка»'), company('ИП Петров П.П.', '500100732259'));
    await admin.query(
      "INSERT INTO contacts (company_id, full_name, phone, updated_at) VALUES (1, 'Иванов Иван', '+7 916 123-45-67', ?)",
      [T],
    );
    await admin.query("INSERT INTO orders (note) VALUES ('не наша таблица')");
    await admin.query(
      "UPDATE companies SET name = 'ООО «Ромашка-2»', status = 'blocked', updated_at = '2024-03-02 11:00:00' WHERE id = 1",
    );
    await admin.query('DELETE FROM companies WHERE id = 2');
    await admin.query('DELETE FROM contacts WHERE id = 1');
    await insertCompanies(company('end'));
    const envs = await until(src, 'end');
    await src.close();

    expect(summary(envs)).toEqual([
      'insert companies 1',
      'insert companies 2',
      'insert contacts 1',
      'update companies 1',
      'delete companies 2',
      'delete contacts 1',
      'insert companies 3',
    ]);
    expect(envs.map((e) => e.source)).toContain('shop-a.contacts');
    const changes = envs.map(canonical);
    expect(changes.every((c) => c.ok)).toBe(true);
    const values = changes.map((c) => (c.ok ? c.value : undefined));
    expect(values[0]).toMatchObject({
      kind: 'company',
      company: { sourceId: '1', name: 'Ромашка', legalForm: 'OOO', changedAt: '2024-03-01T10:00:00.000Z' },
    });
    expect(values[2]).toMatchObject({
      kind: 'contact',
      contact: { sourceId: 'contact:1', lastName: 'Иванов', company: { sourceId: '1' } },
    });
    expect(values[3]).toMatchObject({
      kind: 'company',
      company: { sourceId: '1', name: 'Ромашка-2', blocked: true, changedAt: '2024-03-02T11:00:00.000Z' },
    });
    // A DELETE is the delete a soft delete gives, dated when the server ran it.
    expect(values[4]).toMatchObject({ kind: 'delete', entity: 'company', source: 'shop-a', sourceId: '2' });
    expect(values[5]).toMatchObject({ kind: 'delete', entity: 'contact', source: 'shop-a', sourceId: 'contact:1' });
    const deletedAt = Date.parse((values[4] as { changedAt: string }).changedAt);
    expect(Math.abs(deletedAt - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('decodes windows-1251 text columns (VARCHAR and TEXT) from the binlog bytes', async () => {
    const src = source();
    await src.read(1);
    const name = 'ООО «Ёлки-Палки» №1 — Щука';
    const address = 'г. Москва, ул. Тверская, д. 1, оф. «Ъ»';
    await admin.query('INSERT INTO companies (name, inn, address, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
      name,
      '7707083893',
      address,
      T,
      T,
    ]);
    // The column really holds cp1251 bytes (one byte per Cyrillic letter), not UTF-8.
    const [hex] = await admin.query('SELECT HEX(name) AS h, CHARSET(name) AS cs FROM companies WHERE id = 1');
    expect((hex as Array<{ h: string; cs: string }>)[0]).toMatchObject({
      cs: 'cp1251',
      h: expect.stringMatching(/^CECECE20AB/),
    });
    const [env] = await take(src, 1);
    await src.close();
    expect(env!.value.row).toMatchObject({ name, address });
    // The mapper takes it as it takes the extract's rows (it only straightens the quotes).
    expect(canonical(env!)).toMatchObject({
      ok: true,
      value: { company: { fullName: 'ООО "Ёлки-Палки" №1 — Щука', address: 'г. Москва, ул. Тверская, д. 1, оф. "Ъ"' } },
    });
  });

  it('restarts from the saved position with nothing lost and nothing twice, also mid-transaction', async () => {
    const positions = new MemoryPositionStore();
    const first = source(positions);
    await first.read(1);
    // One transaction of 10 rows (one rows event), then 5 single-row transactions.
    await insertCompanies(...Array.from({ length: 10 }, (_, i) => company(`Тест ${i + 1}`)));
    for (let id = 1; id <= 5; id++)
      await admin.query("UPDATE companies SET name = CONCAT(name, ' (изм.)') WHERE id = ?", [id]);
    const head = await take(first, 12, 4);
    // Acked out of order with 8 missing: the position stops at the 7th row of the first transaction.
    for (const e of head.reverse()) if (e.value.row.id !== 8 || e.value.op !== 'insert') e.ack();
    await first.close();
    expect(parseBinlogPosition(positions.data.get(binlogKey('shop-a'))!)).toMatchObject({ rows: 7 });

    const second = source(positions);
    await insertCompanies(company('end'));
    const rest = await until(second, 'end');
    await second.close();
    expect(summary(rest)).toEqual([
      'insert companies 8',
      'insert companies 9',
      'insert companies 10',
      ...[1, 2, 3, 4, 5].map((id) => `update companies ${id}`),
      'insert companies 11',
    ]);

    // Everything acked: a third run sees only what is new.
    const third = source(positions);
    await insertCompanies(company('again'));
    expect(summary(await until(third, 'again'))).toEqual(['insert companies 12']);
    await third.close();
  });

  it('reconnects after KILL CONNECTION of its binlog stream and goes on without loss or repeats', async () => {
    const src = source();
    await src.read(1);
    await insertCompanies(company('a'), company('b'));
    const head = await take(src, 2);
    for (const e of head) e.ack();
    const [threads] = await admin.query(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
    );
    for (const t of threads as Array<{ ID: number }>) await admin.query('KILL CONNECTION ?', [t.ID]);
    await insertCompanies(company('c'), company('end'));
    const rest = await until(src, 'end');
    await src.close();
    expect(summary([...head, ...rest])).toEqual([1, 2, 3, 4].map((id) => `insert companies ${id}`));
    expect(src.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('holds the credit behind a sink that never acks, and pauses the stream at binlogBufferRows', async () => {
    const src = source(new MemoryPositionStore(), { binlogBufferRows: 50 });
    await src.read(1);
    for (let i = 0; i < 20; i++)
      await insertCompanies(...Array.from({ length: 100 }, (_, k) => company(`Партия ${i} ${k} ${'x'.repeat(200)}`)));
    expect(await expectCreditHeld(src, 20)).toBe(20);
    expect(src.isPaused).toBe(true);
    // Paused at 50: at most the rows event being handled (≤ one 100-row INSERT) lands on top.
    expect(src.buffered).toBeLessThanOrEqual(50 + 100);
    // Drained, the stream resumes and every row still arrives.
    await insertCompanies(company('end'));
    const rest = await until(src, 'end');
    await src.close();
    expect(rest).toHaveLength(2000 - 20 + 1);
  });

  it('reports lag from the event time of the oldest row not yet acked, and none once all are acked', async () => {
    const src = source();
    await src.read(1);
    expect(src.lagSeconds).toBe(0);
    // The binlog stamps an event with the session's statement time, which SET TIMESTAMP moves back an hour.
    await admin.query('SET TIMESTAMP = UNIX_TIMESTAMP() - 3600');
    await insertCompanies(company('час назад'));
    await admin.query('SET TIMESTAMP = DEFAULT');
    await insertCompanies(company('сейчас'));
    const [old, recent] = await take(src, 2);
    expect(src.lagSeconds).toBeGreaterThanOrEqual(3599);
    expect(src.lagSeconds).toBeLessThan(3600 + 600);
    old!.ack();
    expect(src.lagSeconds).toBeLessThan(600);
    recent!.ack();
    expect(src.lagSeconds).toBe(0);
    await src.close();
  });

  it('with once, reports done at the end the server had when it started', async () => {
    await insertCompanies(company('before'));
    const positions = new MemoryPositionStore();
    await markNow(positions);
    await insertCompanies(company('a'), company('b'));
    await admin.query("UPDATE companies SET name = 'b2' WHERE name = 'b'");
    const src = source(positions, { once: true });
    expect(summary(await drain(src))).toEqual(['insert companies 2', 'insert companies 3', 'update companies 3']);
    await src.close();
  });

  it("commits past other tables' transactions while nothing of ours is pending", async () => {
    const puts: string[] = [];
    const positions = new MemoryPositionStore();
    const recording = {
      get: (k: string) => positions.get(k),
      delete: (k: string) => positions.delete(k),
      put: async (k: string, v: string) => void puts.push(v),
    };
    const src = new MysqlBinlogSource({ config: config(), positions: recording });
    await src.read(1);
    await admin.query("INSERT INTO orders (note) VALUES ('чужая')");
    await insertCompanies(company('end'));
    await until(src, 'end');
    await src.close();
    const committed = puts.map(parseBinlogPosition);
    // First the end of the orders transaction (no rows of ours in it), then the company's row
    // (and, if its commit arrives after the ack, the end of that transaction).
    expect(committed[0]!.rows).toBe(0);
    const row = committed.find((p) => p.rows === 1);
    expect(row!.pos).toBeGreaterThanOrEqual(committed[0]!.pos);
  });

  it('after the full extract, delivers once every change made after its snapshot and none made before', async () => {
    await insertCompanies(...Array.from({ length: 120 }, (_, i) => company(`Ромашка ${i + 1}`)));
    const positions = new MemoryPositionStore();
    const cfg = config({ tables: ['companies'], pageSize: 25 });
    expect(await checkBinlogStart(cfg, positions)).toBeUndefined();
    // Before the snapshot: the extract reads these rows as they are now, the stream must not repeat them.
    await admin.query("UPDATE companies SET name = 'Ромашка 3 (до)' WHERE id = 3");
    await admin.query('DELETE FROM companies WHERE id = 4');
    const full = new MysqlFullSource({ config: cfg, positions });
    const head = await take(full, 50, 25);
    expect(positions.data.has(binlogKey('shop-a'))).toBe(true); // read inside the snapshot
    await admin.query("UPDATE companies SET name = CONCAT(name, ' (изм.)') WHERE id IN (5, 100)");
    await admin.query('DELETE FROM companies WHERE id = 7');
    await insertCompanies(company('Новая'));
    const rest = await drain(full);
    for (const e of head) e.ack();
    await full.close();
    expect(positions.data.get(fullKey('shop-a', 'companies'))).toBe('done');
    const extracted = [...head, ...rest];
    expect(extracted).toHaveLength(119);
    expect(extracted.find((e) => e.value.row.id === 3)!.value.row.name).toBe('Ромашка 3 (до)');

    const src = new MysqlBinlogSource({ config: { ...cfg, once: true }, positions });
    const changes = await drain(src);
    await src.close();
    expect(summary(changes)).toEqual([
      'update companies 5',
      'update companies 100',
      'delete companies 7',
      'insert companies 121',
    ]);
    expect(changes[0]!.value.row.name).toBe('Ромашка 5 (изм.)');
  });

  it("extract + stream see every row exactly once while a writer commits through the snapshot's opening", async () => {
    const positions = new MemoryPositionStore();
    const cfg = config({ tables: ['companies'], pageSize: 50 });
    const writer = await mysql.createConnection({ uri: db.url, charset: 'UTF8MB4_UNICODE_CI' });
    let stop = false;
    let written = 0;
    // One row per transaction, until the extract has opened its snapshot and read a page.
    const writing = (async () => {
      while (!stop || written < 20) {
        await writer.query('INSERT INTO companies (name, inn, created_at, updated_at) VALUES (?, ?, ?, ?)', [
          `Поток ${++written}`,
          '7707083893',
          T,
          T,
        ]);
      }
    })();
    while (written < 10) await new Promise((r) => setImmediate(r));
    const full = new MysqlFullSource({ config: cfg, positions });
    const head = await take(full, 1);
    stop = true;
    await writing;
    await writer.end();
    const extracted = [...head, ...(await drain(full))];
    for (const e of head) e.ack();
    await full.close();
    await insertCompanies(company('end'));
    const src = new MysqlBinlogSource({ config: cfg, positions });
    const streamed = (await until(src, 'end')).filter((e) => e.value.row.name !== 'end');
    await src.close();
    const ids = [...extracted, ...streamed].map((e) => Number(e.value.row.id)).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: written }, (_, i) => i + 1));
    expect(streamed.every((e) => e.value.op === 'insert')).toBe(true);
  });

  it('opens the snapshot under a brief global read lock where the server has no binlog_snapshot_* status (MySQL)', async () => {
    await insertCompanies(company('a'));
    const conn = await mysql.createConnection({ uri: db.url });
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const at = await openSnapshotAtBinlogPosition(conn, 'lock');
    // The lock is gone (another session can write) and the snapshot still holds (it does not see it).
    await insertCompanies(company('b'));
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM companies');
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(1);
    await conn.end();
    expect(at).toMatchObject({ file: expect.any(String), rows: 0 });
    const positions = new MemoryPositionStore();
    positions.data.set(binlogKey('shop-a'), JSON.stringify(at));
    const src = source(positions);
    expect(summary(await take(src, 1))).toEqual(['insert companies 2']);
    await src.close();
  });

  it('refuses to switch a state read in poll mode to binlog without a new extract (a position now would skip changes)', async () => {
    const positions = new MemoryPositionStore();
    positions.data.set(fullKey('shop-a', 'companies'), 'done');
    const err = (await checkBinlogStart(config(), positions).catch((e: unknown) => e)) as {
      code?: string;
      message?: string;
    };
    expect(err.code).toBe('USAGE');
    expect(err.message).toContain('crm-unify replay shop-a --to earliest');
    expect(positions.data.has(binlogKey('shop-a'))).toBe(false);
  });

  it('fails naming the missing privilege when the user may not read the binlog', async () => {
    await admin.query("CREATE USER IF NOT EXISTS 'crm_nobinlog'@'%' IDENTIFIED BY 'pw-nobinlog'");
    await admin.query(`GRANT SELECT ON \`${db.name}\`.* TO 'crm_nobinlog'@'%'`);
    const url = new URL(db.url);
    url.username = 'crm_nobinlog';
    url.password = 'pw-nobinlog';
    const positions = new MemoryPositionStore();
    await markNow(positions); // as root: only the stream itself is refused
    const src = new MysqlBinlogSource({ config: config({ url: url.toString(), reconnectRetries: 2 }), positions });
    // The refusal comes from the dump command, after start: read until it surfaces.
    const err = (await (async () => {
      for (;;) await src.read(1);
    })().catch((e: unknown) => e)) as { code?: string; message?: string };
    await src.close();
    await admin.query("DROP USER 'crm_nobinlog'@'%'");
    expect(err.code).toBe('SOURCE_READ_FAILED');
    expect(err.message).toMatch(/REPLICATION SLAVE|REPLICA/);
  });

  it('stops at DDL on a followed table naming the statement, after the rows before it; DDL on other tables is ignored', async () => {
    const positions = new MemoryPositionStore();
    await markNow(positions);
    await insertCompanies(company('before'));
    // Other tables' DDL, one with a column named like ours: ignored.
    await admin.query('ALTER TABLE orders ADD COLUMN companies INT');
    await admin.query('ALTER TABLE orders DROP COLUMN companies');
    await admin.query('CREATE TABLE contacts_copy LIKE contacts');
    await admin.query('DROP TABLE contacts_copy');
    await insertCompanies(company('between'));
    await admin.query("ALTER TABLE contacts COMMENT = 'changed under the stream'");
    await insertCompanies(company('after'));

    const readUntilFailure = async (src: MysqlBinlogSource) => {
      const got: Envelope<MysqlRow>[] = [];
      const err = await (async () => {
        for (;;) {
          const { records } = await src.read(100);
          for (const r of records) r.ack();
          got.push(...records);
        }
      })().catch((e: unknown) => e as { code?: string; message?: string; details?: Record<string, unknown> });
      await src.close();
      return { got, err };
    };
    const first = await readUntilFailure(source(positions));
    expect(first.got.map((e) => e.value.row.name)).toEqual(['before', 'between']);
    expect(first.err.code).toBe('SOURCE_SCHEMA_CHANGED');
    expect(first.err.message).toContain(
      "shop-a.binlog: contacts was changed by `ALTER TABLE contacts COMMENT = 'changed under the stream'` (binlog binlog.",
    );
    expect(first.err.message).toContain('crm-unify replay shop-a --to earliest');
    expect(first.err.details).toMatchObject({ table: 'contacts', file: expect.any(String), pos: expect.any(Number) });
    // The saved position is just before the statement: a restart repeats nothing and stops there again.
    const again = await readUntilFailure(source(positions));
    expect(again.got).toEqual([]);
    expect(again.err.code).toBe('SOURCE_SCHEMA_CHANGED');
    await admin.query("ALTER TABLE contacts COMMENT = ''");
  });

  it('checks the settings and the grants at start and reports every problem at once', async (ctx) => {
    if (server.source !== 'started') ctx.skip(); // changes a global setting: only on the server this suite started
    await admin.query("CREATE USER IF NOT EXISTS 'crm_nogrants'@'%' IDENTIFIED BY 'pw-nogrants'");
    await admin.query(`GRANT SELECT ON \`${db.name}\`.companies TO 'crm_nogrants'@'%'`);
    await admin.query("SET GLOBAL binlog_row_image = 'MINIMAL'");
    const url = new URL(db.url);
    url.username = 'crm_nogrants';
    url.password = 'pw-nogrants';
    try {
      const positions = new MemoryPositionStore();
      const err = (await checkBinlogStart(config({ url: url.toString() }), positions).catch((e: unknown) => e)) as {
        code?: string;
        message?: string;
      };
      expect(err.code).toBe('SOURCE_READ_FAILED');
      expect(err.message!.split('\n')).toEqual([
        'shop-a.binlog: the server cannot serve binlog mode:',
        '  - binlog_row_image is MINIMAL; binlog mode needs FULL (a DELETE must carry the whole row)',
        "  - 'crm_nogrants'@'%' lacks REPLICATION CLIENT (MariaDB 10.5+: BINLOG MONITOR), needed to find binlog positions: GRANT REPLICATION CLIENT ON *.* TO 'crm_nogrants'@'%'",
        "  - 'crm_nogrants'@'%' lacks REPLICATION SLAVE (MySQL 8.0.22+: REPLICATION REPLICA), needed to read the binlog: GRANT REPLICATION SLAVE ON *.* TO 'crm_nogrants'@'%'",
        `  - 'crm_nogrants'@'%' may not SELECT from ${db.name}.contacts: GRANT SELECT ON ${db.name}.contacts TO 'crm_nogrants'@'%'`,
      ]);
      // A restart (a position stored) is checked too.
      const restart = new MemoryPositionStore();
      await markNow(restart);
      expect(await checkBinlogStart(config({ url: url.toString() }), restart).catch((e: unknown) => e)).toMatchObject({
        code: 'SOURCE_READ_FAILED',
        message: err.message,
      });
      // The stream's own start checks the same, before it asks for the binlog.
      await admin.query("SET GLOBAL binlog_row_image = 'FULL'");
      await admin.query("GRANT REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO 'crm_nogrants'@'%'");
      const src = new MysqlBinlogSource({ config: config({ url: url.toString() }), positions });
      const streamErr = (await src.read(1).catch((e: unknown) => e)) as { message?: string };
      await src.close();
      expect(streamErr.message!.split('\n').slice(1)).toEqual([
        `  - 'crm_nogrants'@'%' may not SELECT from ${db.name}.contacts: GRANT SELECT ON ${db.name}.contacts TO 'crm_nogrants'@'%'`,
      ]);
      // Granted everything, the check passes.
      await admin.query(`GRANT SELECT ON \`${db.name}\`.contacts TO 'crm_nogrants'@'%'`);
      expect(await checkBinlogStart(config({ url: url.toString() }), new MemoryPositionStore())).toBeUndefined();
    } finally {
      await admin.query("SET GLOBAL binlog_row_image = 'FULL'");
      await admin.query("DROP USER 'crm_nogrants'@'%'");
    }
  });

  it('refuses a server without a binlog, saying what is missing', async () => {
    const shortfalls = await binlogShortfalls(mysqlUrl());
    if (shortfalls.length === 0) return; // the shared server has a binlog: nothing to refuse
    const other = await createTestDatabase(mysqlUrl(), 'binlog_refused');
    try {
      const src = new MysqlBinlogSource({ config: config({ url: other.url }), positions: new MemoryPositionStore() });
      const err = (await src.read(1).catch((e: unknown) => e)) as { code?: string; message?: string };
      await src.close();
      expect(err.code).toBe('SOURCE_READ_FAILED');
      expect(err.message).toMatch(/shop-a\.binlog: the server cannot serve binlog mode:\n {2}- log_bin is OFF/);
    } finally {
      await other.drop();
    }
  });
});

describe("a lost binlog stream under the service's outage policy (a reach), as poll mode", () => {
  // The stream reaches the server through a TCP forwarder the test closes ("the server is down":
  // connections cut, new ones refused) and opens again; changes are committed directly meanwhile.
  let proxy: TcpProxy;
  let viaProxy: string;
  beforeAll(async () => {
    const [port] = (await freePorts(1)) as [number];
    const direct = new URL(db.url);
    proxy = tcpProxy(port, { host: direct.hostname, port: Number(direct.port || 3306) });
    direct.host = `127.0.0.1:${port}`;
    viaProxy = direct.toString();
  });
  beforeEach(() => proxy.up());
  afterAll(() => proxy?.down());

  const target = {
    component: 'source:shop-a.binlog',
    endpoint: 'the test server',
    setBy: 'sources.shopA.mysql (or SHOP_A_MYSQL_URL)',
  };
  /** The service's policy (runtime/connect-policy.ts) in small: states to a Health, as /healthz shows them. */
  function policy(health: Health, states: ReachState[], over: Partial<ConnectPolicy> = {}): ConnectPolicy {
    return {
      baseMs: 50,
      maxMs: 200,
      logEveryMs: 60_000,
      logger: silentLogger,
      status: {
        set: (c, s, d) => {
          states.push(s);
          health.reach(c, s, d);
        },
      },
      ...over,
    };
  }
  const shown = (health: Health) => health.report().components['source:shop-a.binlog'];

  it('waits out an outage longer than reconnectRetries, shows it on /healthz, and then delivers every change made meanwhile once', async () => {
    const health = new Health();
    const states: ReachState[] = [];
    // reconnectRetries: 2 would end the stream at the third failed reconnect without a reach.
    const src = new MysqlBinlogSource({
      config: config({ url: viaProxy, reconnectRetries: 2 }),
      positions: new MemoryPositionStore(),
      reach: new Reachability(target, policy(health, states)),
    });
    await src.read(1);
    expect(shown(health)?.state).toBe('running');
    // A row dated an hour back, held unacked across the outage: the row the position waits on.
    await admin.query('SET TIMESTAMP = UNIX_TIMESTAMP() - 3600');
    await insertCompanies(company('час назад'));
    await admin.query('SET TIMESTAMP = DEFAULT');
    await insertCompanies(company('a'));
    const [old, a] = await take(src, 2);
    a!.ack();

    await proxy.down();
    // Committed while the stream cannot reach the server: a 3-row transaction, an update, a hard delete.
    await insertCompanies(company('b'), company('c'), company('d'));
    await admin.query("UPDATE companies SET name = 'a2' WHERE name = 'a'");
    await admin.query("DELETE FROM companies WHERE name = 'c'");
    while (states.filter((s) => s === 'backing-off').length <= 4) {
      expect((await src.read(10)).records).toEqual([]);
    }
    expect(src.reconnects).toBeGreaterThan(2);
    expect(shown(health)).toMatchObject({ state: 'backing-off', detail: expect.stringMatching(/^ECONNREFUSED: /) });
    expect(health.report().ready).toBe(false);
    // Lag keeps its meaning through the outage: the server's now minus the oldest unacked event.
    expect(src.lagSeconds).toBeGreaterThanOrEqual(3599);

    await proxy.up();
    await insertCompanies(company('end'));
    const rest = await until(src, 'end');
    expect(summary(rest)).toEqual([
      'insert companies 3',
      'insert companies 4',
      'insert companies 5',
      'update companies 2',
      'delete companies 4',
      'insert companies 6',
    ]);
    expect(shown(health)?.state).toBe('running');
    expect(states.filter((s) => s === 'failed')).toEqual([]);
    old!.ack();
    expect(src.lagSeconds).toBe(0);
    await src.close();
  });

  it("a close ends a wait for the server at once (SHUTDOWN), as poll mode's", async () => {
    const health = new Health();
    // A minute's back-off: only the cancel can end the wait within the test's time.
    const src = new MysqlBinlogSource({
      config: config({ url: viaProxy }),
      positions: new MemoryPositionStore(),
      reach: new Reachability(target, policy(health, [], { baseMs: 60_000, maxMs: 60_000 })),
    });
    await src.read(1);
    await proxy.down();
    const reading = (async () => {
      for (;;) await src.read(10);
    })().catch((e: unknown) => e as CrmUnifyError);
    while (shown(health)?.state !== 'backing-off') await sleep(20);
    await src.close();
    expect((await reading).code).toBe('SHUTDOWN');
  });

  it('with a bound (--once), gives up as poll mode does: SERVICE_UNAVAILABLE, failed on /healthz, the saved position kept', async () => {
    const health = new Health();
    const bounded = { giveUpAfterMs: 1000, giveUpKey: 'runtime.connectTimeoutMs = 1000' };
    const positions = new MemoryPositionStore();
    const src = new MysqlBinlogSource({
      config: config({ url: viaProxy }),
      positions,
      reach: new Reachability(target, policy(health, [], bounded)),
    });
    await src.read(1);
    await insertCompanies(company('a'));
    const [a] = await take(src, 1);
    a!.ack();
    await proxy.down();
    await insertCompanies(company('b'));
    const err = (await (async () => {
      for (;;) await src.read(10);
    })().catch((e: unknown) => e)) as CrmUnifyError;
    // A second read does not start a new stream: it fails the same way.
    await expect(src.read(10)).rejects.toBe(err);
    await src.close();
    expect(shown(health)?.state).toBe('failed');

    // Poll mode's source against the same closed server, under the same policy.
    const pollHealth = new Health();
    const delta = new MysqlDeltaSource({
      config: config({ url: viaProxy }),
      positions: new MemoryPositionStore(),
      reach: new Reachability({ ...target, component: 'source:shop-a.delta' }, policy(pollHealth, [], bounded)),
    });
    const pollErr = (await delta.read(10).catch((e: unknown) => e)) as CrmUnifyError;
    await delta.close();
    expect(pollHealth.report().components['source:shop-a.delta']?.state).toBe('failed');
    const same = (e: CrmUnifyError) =>
      e.message.replace(/shop-a\.(binlog|delta)/, 'X').replace(/tried \d+ times/, 'tried N times');
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.details).toMatchObject({ component: 'source:shop-a.binlog', lastErrorCode: 'ECONNREFUSED' });
    expect(pollErr.code).toBe('SERVICE_UNAVAILABLE');
    expect(same(err)).toBe(same(pollErr));
    expect(err.message).toMatch(
      /^source:shop-a\.binlog could not reach the test server within 1 s \(runtime\.connectTimeoutMs = 1000\)/,
    );

    // Nothing lost: a restart from the saved position reads what was committed during the outage.
    await proxy.up();
    await insertCompanies(company('end'));
    const next = source(positions);
    const rest = await until(next, 'end');
    await next.close();
    expect(summary(rest)).toEqual(['insert companies 2', 'insert companies 3']);
  });
});

describe('a saved position the server no longer has (binlogs purged)', () => {
  /** Rotates to a new binlog file and purges every older one; returns the file kept. */
  async function purgeOlderBinlogs(): Promise<string> {
    await admin.query('FLUSH BINARY LOGS');
    const now = await currentPosition(admin);
    // MariaDB keeps a file until its binlog checkpoint (the engine has made its commits durable),
    // which comes a moment after the rotation; PURGE silently keeps it until then.
    for (let tries = 0; ; tries++) {
      await admin.query('PURGE BINARY LOGS TO ?', [now.file]);
      const [logs] = await admin.query('SHOW BINARY LOGS');
      if ((logs as Array<{ Log_name: string }>)[0]!.Log_name === now.file) return now.file;
      if (tries === 200)
        throw new Error(`PURGE BINARY LOGS TO '${now.file}' kept older files: ${JSON.stringify(logs)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('fails naming the file and what to do', async (ctx) => {
    if (server.source !== 'started') ctx.skip(); // purges binlogs: only on the server this suite started
    const positions = new MemoryPositionStore();
    await markNow(positions);
    const saved = parseBinlogPosition(positions.data.get(binlogKey('shop-a'))!);
    await insertCompanies(company('gone with the binlog'));
    const kept = await purgeOlderBinlogs();
    const src = source(positions);
    const err = (await (async () => {
      for (;;) await src.read(10);
    })().catch((e: unknown) => e)) as { code?: string; message?: string };
    await src.close();
    expect(err.code).toBe('SOURCE_READ_FAILED');
    expect(err.message).toContain(
      `the saved binlog position ${saved.file}:${saved.pos} is no longer on the server (the server keeps ${kept}`,
    );
    expect(err.message).toContain('set sources.shopA.snapshotWhenNeeded: true');
    expect(err.message).toContain('crm-unify replay shop-a --to earliest');
    expect(positions.data.get(binlogKey('shop-a'))).toBe(JSON.stringify(saved)); // nothing moved
  });

  it('with snapshotWhenNeeded, takes a new full extract and streams from its position', async (ctx) => {
    if (server.source !== 'started') ctx.skip();
    await insertCompanies(company('a'), company('b'));
    const positions = new MemoryPositionStore();
    const full = new MysqlFullSource({ config: config(), positions });
    expect(await drain(full)).toHaveLength(2);
    await full.close();
    // While the service is away: changes, then the binlogs holding them are purged.
    await admin.query("UPDATE companies SET name = 'a (изм.)' WHERE name = 'a'");
    await insertCompanies(company('c'));
    const kept = await purgeOlderBinlogs();

    const src = source(positions, { snapshotWhenNeeded: true });
    const snapshot: Envelope<MysqlRow>[] = [];
    while (snapshot.length < 3) {
      const { records } = await src.read(100);
      for (const r of records) r.ack();
      snapshot.push(...records);
    }
    expect(snapshot.map((e) => e.value.row.name)).toEqual(['a (изм.)', 'b', 'c']);
    expect(src.resnapshots).toBe(1);
    await insertCompanies(company('end'));
    const streamed = await until(src, 'end');
    await src.close();
    expect(summary(streamed)).toEqual(['insert companies 4']);
    expect(positions.data.get(fullKey('shop-a', 'companies'))).toBe('done');
    expect(positions.data.get(fullKey('shop-a', 'contacts'))).toBe('done');
    expect(parseBinlogPosition(positions.data.get(binlogKey('shop-a'))!).file).toBe(kept);
  });
});

describe('replay in binlog mode (crm-unify replay shop-a --to …)', () => {
  const serverNow = async () => {
    const [rows] = await admin.query('SELECT UNIX_TIMESTAMP() AS s');
    return new Date(Number((rows as Array<{ s: number }>)[0]!.s) * 1000);
  };
  const names = (envs: Envelope<MysqlRow>[]) => envs.map((e) => String(e.value.row.name));

  it('restarts the stream at the first transaction at or after a time, across binlog files; latest and earliest', async () => {
    await insertCompanies(company('a'));
    // Binlog events have whole seconds: each step waits into the next one. b in a new file.
    await sleep(1100);
    await admin.query('FLUSH BINARY LOGS');
    const t2 = await serverNow();
    await insertCompanies(company('b'));
    await admin.query("INSERT INTO orders (note) VALUES ('другая таблица')");
    await insertCompanies(company('c'));
    await sleep(1100);
    await admin.query('FLUSH BINARY LOGS');
    const t3 = await serverNow();
    await insertCompanies(company('d'));
    const end = await currentPosition(admin);

    const positions = new MemoryPositionStore();
    const message = await resetBinlogPositions(
      positions,
      config({ tables: ['companies'] }),
      new Date(t2.getTime() + 400),
    );
    expect(message).toMatch(
      /^shop-a: binlog mode: the stream restarts at binlog\.\d+:\d+, the first transaction committed at or after /,
    );
    const src = source(positions, { once: true, tables: ['companies'] });
    expect(names(await drain(src))).toEqual(['b', 'c', 'd']);
    await src.close();
    // The file d is in, found by its start time; a time after the last event gives the end.
    const atD = await binlogPositionAt(config(), t3);
    expect(atD.file).toBe(end.file);
    expect(await binlogPositionAt(config(), new Date(t3.getTime() + 3_600_000))).toMatchObject({
      file: end.file,
      pos: end.pos,
    });

    expect(await resetBinlogPositions(positions, config(), 'latest')).toContain(
      `continues from the server's end, ${end.file}:${end.pos}`,
    );
    expect(positions.data.get(fullKey('shop-a', 'companies'))).toBe('done');
    expect(parseBinlogPosition(positions.data.get(binlogKey('shop-a'))!)).toMatchObject({
      file: end.file,
      pos: end.pos,
      rows: 0,
    });

    positions.data.set(deltaKey('shop-a', 'companies'), 'x');
    expect(await resetBinlogPositions(positions, config(), 'earliest')).toContain(
      'the next run takes a new full extract',
    );
    expect([...positions.data.keys()]).toEqual([]);
  });

  it('refuses a time before the oldest binlog the server keeps, naming it', async () => {
    const err = (await resetBinlogPositions(
      new MemoryPositionStore(),
      config(),
      new Date('2001-01-01T00:00:00Z'),
    ).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(
      /^replay: the binlogs the server keeps do not reach back to 2001-01-01T00:00:00\.000Z \(oldest: \S+\.\d+, which starts at 20\d\d-/,
    );
    expect(err.message).toContain('replay --to earliest takes a new full extract instead');
  });
});
