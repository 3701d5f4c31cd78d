import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullSource } from '../../core/pull-source.js';
import { Reachability, type ReachState } from '../../core/reachability.js';
import { silentLogger } from '../../core/logger.js';
import { freshDatabase } from '../../../test/support/inject.js';
import type { TestDatabase } from '../../../test/support/mysql-database.js';
import { drain, expectCreditHeld, take } from '../../../test/sources/contract.js';
import { MysqlSourceConfigSchema, type MysqlSourceConfig } from './config.js';
import { MysqlDeltaSource } from './mysql-delta.source.js';
import { MysqlFullSource } from './mysql-full.source.js';
import { deltaKey, FULL_DONE, fullKey, MemoryPositionStore } from './positions.js';
import { resetMysqlPositions } from './reset.js';
import type { MysqlRow } from './rows.js';

// Shop A's schema (DESIGN §3), trimmed to the columns the sources care about plus text to check
// the cp1251 → utf8mb4 conversion.
const schema = [
  `CREATE TABLE companies (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(500) NOT NULL, inn VARCHAR(32) NULL,
     status ENUM('active','blocked','deleted') NOT NULL DEFAULT 'active',
     created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, KEY idx_updated (updated_at, id)
   ) ENGINE=InnoDB DEFAULT CHARSET=cp1251`,
  `CREATE TABLE contacts (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, company_id INT UNSIGNED NULL, full_name VARCHAR(500) NULL,
     updated_at DATETIME NOT NULL, KEY idx_updated (updated_at, id)
   ) ENGINE=InnoDB DEFAULT CHARSET=cp1251`,
];

let db: TestDatabase;
let admin: mysql.Connection;

beforeAll(async () => {
  db = await freshDatabase('mysql_source');
  admin = await mysql.createConnection({ uri: db.url, charset: 'UTF8MB4_UNICODE_CI', dateStrings: true });
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

/** Fresh tables with `companies` rows named 'ООО «Ромашка» N' and `contacts` rows, all old. */
async function seed(companies: number, contacts = 0, updatedAt = '2024-01-01 10:00:00'): Promise<void> {
  await admin.query('DROP TABLE IF EXISTS companies, contacts');
  for (const sql of schema) await admin.query(sql);
  for (let i = 0; i < companies; i += 500) {
    const rows = Array.from({ length: Math.min(500, companies - i) }, (_, k) => [
      `ООО «Ромашка» ${i + k + 1}`,
      '7707083893',
      updatedAt,
      updatedAt,
    ]);
    await admin.query('INSERT INTO companies (name, inn, created_at, updated_at) VALUES ?', [rows]);
  }
  if (contacts > 0) {
    const rows = Array.from({ length: contacts }, (_, k) => [k + 1, `Иванов Иван ${k + 1}`, updatedAt]);
    await admin.query('INSERT INTO contacts (company_id, full_name, updated_at) VALUES ?', [rows]);
  }
}

function config(over: Partial<MysqlSourceConfig> = {}): MysqlSourceConfig {
  return MysqlSourceConfigSchema.parse({
    url: db.url,
    pageSize: 50,
    pollIntervalMs: 100,
    lookbackSeconds: 30,
    reconnectBaseMs: 50,
    ...over,
  });
}

const ids = (envs: { value: MysqlRow }[], table = 'companies') =>
  envs.filter((e) => e.value.table === table).map((e) => Number(e.value.row.id));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function killConnection(id: number | undefined): Promise<void> {
  expect(id).toBeTypeOf('number');
  await admin.query('KILL CONNECTION ?', [id]);
}

describe('MysqlFullSource', () => {
  it('reads every row of every table once, in id order, with cp1251 text as proper UTF-8', async () => {
    await seed(230, 40);
    const positions = new MemoryPositionStore();
    const source = new MysqlFullSource({ config: config(), positions });
    const envs = await drain(source, { chunk: 64 });
    expect(ids(envs)).toEqual(range(1, 230));
    expect(ids(envs, 'contacts')).toEqual(range(1, 40));
    expect(envs[0]!.value.row.name).toBe('ООО «Ромашка» 1');
    expect(envs[0]!.source).toBe('shop-a.companies');
    expect(source.progress()).toEqual({ read: 270, total: 270 });
    await source.close();
    expect(positions.data.get(fullKey('shop-a', 'companies'))).toBe(FULL_DONE);
    expect(positions.data.get(fullKey('shop-a', 'contacts'))).toBe(FULL_DONE);
    // The delta watermark was taken from the snapshot before the first page.
    expect(JSON.parse(positions.data.get(deltaKey('shop-a', 'companies'))!)).toEqual({
      updatedAt: '2024-01-01 10:00:00',
      id: 0,
    });
  });

  it('resumes after the last contiguously acked id when closed mid-way (kill-and-restart)', async () => {
    await seed(300);
    const positions = new MemoryPositionStore();
    const first = new MysqlFullSource({ config: config(), positions });
    const envs = await take(first, 120, 40);
    // Ack out of order and leave 61 and 100 unacked: the committed position must stop at 60.
    for (const e of [...envs].reverse()) if (![61, 100].includes(Number(e.value.row.id))) e.ack();
    await first.close();
    expect(positions.data.get(fullKey('shop-a', 'companies'))).toBe('60');

    const second = new MysqlFullSource({ config: config(), positions });
    const rest = await drain(second);
    await second.close();
    expect(ids(rest)).toEqual(range(61, 300));
    expect(positions.data.get(fullKey('shop-a', 'companies'))).toBe(FULL_DONE);
  });

  it('reconnects after KILL CONNECTION mid-extract and goes on without loss or repeats', async () => {
    await seed(400);
    const source = new MysqlFullSource({ config: config(), positions: new MemoryPositionStore() });
    const head = await take(source, 100, 50);
    for (const e of head) e.ack();
    await killConnection(source.connectionId);
    const rest = await drain(source);
    await source.close();
    expect([...ids(head), ...ids(rest)]).toEqual(range(1, 400));
    expect(source.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('never has more than the credit in flight behind a sink that never acks', async () => {
    await seed(500);
    const source = new MysqlFullSource({ config: config(), positions: new MemoryPositionStore() });
    expect(await expectCreditHeld(source, 25)).toBe(25);
    await source.close();
  });
});

describe('MysqlFullSource under the outage policy', () => {
  const reach = (states: ReachState[]) =>
    new Reachability(
      {
        component: 'source:shop-a.full',
        endpoint: 'the test server',
        setBy: 'sources.shopA.mysql (or SHOP_A_MYSQL_URL)',
      },
      {
        baseMs: 20,
        maxMs: 50,
        logEveryMs: 60_000,
        logger: silentLogger,
        giveUpAfterMs: 60_000,
        status: { set: (_c, s) => states.push(s) },
      },
    );

  it('fails at once, naming the source and its setting, when the server refuses the credentials (waiting cannot fix that)', async () => {
    const states: ReachState[] = [];
    const url = new URL(db.url);
    url.username = 'crm_unify_nobody';
    url.password = 'wrong';
    const source = new MysqlFullSource({
      config: config({ url: url.toString() }),
      positions: new MemoryPositionStore(),
      reach: reach(states),
    });
    const err = await source.read(10).catch((e: unknown) => e as Error);
    await source.close();
    expect((err as { code?: string }).code).toBe('SOURCE_READ_FAILED');
    expect((err as Error).message).toMatch(
      /^source:shop-a\.full \(the test server, set by sources\.shopA\.mysql \(or SHOP_A_MYSQL_URL\)\): Access denied/,
    );
    expect(states).toEqual(['connecting']);
  });

  it('reports running once the server answers', async () => {
    await seed(3);
    const states: ReachState[] = [];
    const source = new MysqlFullSource({
      config: config(),
      positions: new MemoryPositionStore(),
      reach: reach(states),
    });
    expect((await source.read(10)).records).toHaveLength(3);
    await source.close();
    expect(states).toEqual(['connecting', 'running']);
  });
});

describe('MysqlDeltaSource', () => {
  it('delivers every change made during the full extract', async () => {
    await seed(300);
    const positions = new MemoryPositionStore();
    const full = new MysqlFullSource({ config: config(), positions });
    const head = await take(full, 100, 50);
    // Changes while the extract runs: rows already read, rows not yet read, a delete, new rows.
    await admin.query(
      "UPDATE companies SET name = CONCAT(name, ' (изм.)'), updated_at = NOW() WHERE id IN (5, 50, 250)",
    );
    await admin.query("UPDATE companies SET status = 'deleted', updated_at = NOW() WHERE id = 7");
    await admin.query("INSERT INTO companies (name, created_at, updated_at) VALUES ('ИП Петров', NOW(), NOW())");
    const rest = await drain(full);
    for (const e of head) e.ack();
    await full.close();
    // The snapshot hides the changes from the extract itself …
    expect([...head, ...rest].find((e) => e.value.row.id === 250)!.value.row.name).toBe('ООО «Ромашка» 250');
    expect(ids([...head, ...rest])).toEqual(range(1, 300));

    // … and the delta, from the watermark taken before the extract, delivers all of them.
    const delta = new MysqlDeltaSource({ config: config({ once: true }), positions });
    const changes = await drain(delta);
    await delta.close();
    const byId = new Map(changes.map((e) => [Number(e.value.row.id), e.value.row]));
    for (const id of [5, 50, 250]) expect(byId.get(id)?.name).toBe(`ООО «Ромашка» ${id} (изм.)`);
    expect(byId.get(7)?.status).toBe('deleted');
    expect(byId.get(301)?.name).toBe('ИП Петров');
  });

  it('loses no row when many share one updated_at across page boundaries', async () => {
    await seed(0);
    const rows = Array.from({ length: 45 }, (_, i) => [
      `Тест ${i}`,
      '2024-05-05 05:05:05',
      i < 20 ? '2024-05-05 05:05:05' : '2024-05-05 05:05:06',
    ]);
    await admin.query('INSERT INTO companies (name, created_at, updated_at) VALUES ?', [rows]);
    const delta = new MysqlDeltaSource({
      config: config({ once: true, pageSize: 7, lookbackSeconds: 0, tables: ['companies'] }),
      positions: new MemoryPositionStore(),
    });
    const envs = await drain(delta, { chunk: 5 });
    await delta.close();
    expect(ids(envs)).toEqual(range(1, 45));
  });

  it('re-reads the look-back window but emits a row again only when it changed', async () => {
    await seed(10, 0, '2024-06-01 12:00:00');
    const positions = new MemoryPositionStore();
    const delta = new MysqlDeltaSource({ config: config({ tables: ['companies'], pollIntervalMs: 50 }), positions });
    expect(ids(await drain(onePass(delta)))).toEqual(range(1, 10));
    // A late commit on the replica: updated_at before the watermark, but within the look-back.
    await admin.query(
      "INSERT INTO companies (name, created_at, updated_at) VALUES ('Поздняя', '2024-06-01 11:59:50', '2024-06-01 11:59:50')",
    );
    await admin.query("UPDATE companies SET name = 'Дважды за секунду' WHERE id = 3");
    const again = await take(delta, 2, 10, 5_000);
    expect(ids(again).sort((a, b) => a - b)).toEqual([3, 11]);
    await delta.close();
  });

  it('resumes from the committed watermark after a restart', async () => {
    await seed(120, 0, '2024-01-01 10:00:00');
    await admin.query("UPDATE companies SET updated_at = DATE_ADD('2024-01-01 10:00:00', INTERVAL id MINUTE)");
    const positions = new MemoryPositionStore();
    const cfg = config({ tables: ['companies'], lookbackSeconds: 0, once: true });
    const first = new MysqlDeltaSource({ config: cfg, positions });
    const envs = await take(first, 80, 20);
    for (const e of envs) if (Number(e.value.row.id) !== 41) e.ack();
    await first.close();
    expect(JSON.parse(positions.data.get(deltaKey('shop-a', 'companies'))!)).toEqual({
      updatedAt: '2024-01-01 10:40:00',
      id: 40,
    });
    const second = new MysqlDeltaSource({ config: cfg, positions });
    const rest = await drain(second);
    await second.close();
    expect(ids(rest)).toEqual(range(41, 120));
  });

  it('reconnects after KILL CONNECTION while polling and reports lag', async () => {
    await seed(200, 0, '2024-01-01 10:00:00');
    const delta = new MysqlDeltaSource({
      config: config({ tables: ['companies'], once: true }),
      positions: new MemoryPositionStore(),
    });
    const head = await take(delta, 50, 50);
    // Nothing acked yet and the watermark is old: lag is large.
    expect(delta.lagSeconds).toBeGreaterThan(3600);
    await killConnection(delta.connectionId);
    const rest = await drain(delta);
    for (const e of head) e.ack();
    await delta.close();
    expect([...ids(head), ...ids(rest)]).toEqual(range(1, 200));
    expect(delta.reconnects).toBeGreaterThanOrEqual(1);
    expect(delta.lagSeconds).toBe(0);
  });

  it('never has more than the credit in flight behind a sink that never acks', async () => {
    await seed(300);
    const delta = new MysqlDeltaSource({
      config: config({ tables: ['companies'] }),
      positions: new MemoryPositionStore(),
    });
    expect(await expectCreditHeld(delta, 30)).toBe(30);
    await delta.close();
  });
});

describe('resetMysqlPositions', () => {
  it('earliest makes the next run a full extract again; a time restarts the delta there', async () => {
    await seed(20, 0, '2024-01-01 10:00:00');
    await admin.query("UPDATE companies SET updated_at = '2024-03-01 00:00:00' WHERE id > 15");
    const positions = new MemoryPositionStore();
    const cfg = config({ tables: ['companies'], once: true, lookbackSeconds: 0 });
    await drain(new MysqlFullSource({ config: cfg, positions }));
    await resetMysqlPositions(positions, cfg, new Date('2024-02-01T00:00:00Z'));
    const delta = new MysqlDeltaSource({ config: cfg, positions });
    expect(ids(await drain(delta))).toEqual(range(16, 20));
    await delta.close();

    await resetMysqlPositions(positions, cfg, 'earliest');
    expect(positions.data.size).toBe(0);
    const full = new MysqlFullSource({ config: cfg, positions });
    expect(ids(await drain(full))).toEqual(range(1, 20));
    await full.close();
  });
});

/** A delta source's first pass only: reads until a read comes back empty (the source stays open). */
function onePass(delta: MysqlDeltaSource): PullSource<MysqlRow> {
  let sawRecords = false;
  return {
    name: delta.name,
    read: async (max) => {
      const r = await delta.read(max);
      if (r.records.length > 0) sawRecords = true;
      return { records: r.records, done: sawRecords && r.records.length === 0 };
    },
    close: async () => {},
  };
}
