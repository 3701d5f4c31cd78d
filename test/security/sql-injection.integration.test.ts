// SQL stays parameterized: hostile strings (quotes, backslashes, NUL, Ctrl-Z, comment markers,
// "'; DROP TABLE companies; --") go into a real database through the generator's loader
// (src/gen/load-shop-a.ts) and the SQL file writer (src/gen/write.ts), come back byte-for-byte
// through the full extract and the delta, and hostile positions (watermarks, ids) and table names
// never reach SQL text: the tables survive every attempt.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlSourceConfigSchema, type MysqlSourceConfig } from '../../src/connectors/mysql/config.js';
import { MysqlDeltaSource } from '../../src/connectors/mysql/mysql-delta.source.js';
import { MysqlFullSource } from '../../src/connectors/mysql/mysql-full.source.js';
import { deltaKey, fullKey } from '../../src/connectors/mysql/positions.js';
import { quoteTable } from '../../src/connectors/mysql/rows.js';
import { MemoryPositionStore } from '../../src/core/positions.js';
import { generate, scales, type Dataset } from '../../src/gen/dataset.js';
import { loadShopA } from '../../src/gen/load-shop-a.js';
import { writeDataset } from '../../src/gen/write.js';
import { drain } from '../sources/contract.js';
import { freshDatabase } from '../support/inject.js';
import type { TestDatabase } from '../support/mysql-database.js';

const hostile = [
  "'; DROP TABLE companies; --",
  "\\'; DROP TABLE companies; --",
  '"; DROP TABLE contacts; -- ',
  "Robert'); DROP TABLE companies;--",
  '\\',
  '\\\\',
  "\\'",
  "''",
  "'",
  '"',
  '`',
  '`companies`',
  'a\u0000b',
  '\u0000',
  '\u001a',
  'x\\0y',
  '%_',
  '/* comment */',
  '-- ',
  '#',
  ';',
  '\r\n\t',
  'ООО «Ромашка» \\ \' " ;',
  '0x27',
  'CHAR(39)',
  '1 OR 1=1',
  'SLEEP(5)',
];

/** Shop A rows whose every text field holds a hostile string. */
function hostileData(): Dataset['shopA'] {
  const ds = generate(scales.small, 4);
  const companies = ds.shopA.companies.slice(0, hostile.length).map((row, i) => ({
    ...row,
    name: `${hostile[i]} ${i}`,
    address: hostile[(i + 1) % hostile.length]!,
    phone: hostile[(i + 2) % hostile.length]!.slice(0, 100),
    email: hostile[(i + 3) % hostile.length]!,
    bank_name: hostile[(i + 4) % hostile.length]!,
    kpp: hostile[(i + 5) % hostile.length]!.slice(0, 32),
  }));
  const contacts = ds.shopA.contacts.slice(0, hostile.length).map((row, i) => ({
    ...row,
    full_name: hostile[i]!,
    position: hostile[(i + 6) % hostile.length]!,
    email: hostile[(i + 7) % hostile.length]!,
  }));
  return { companies, contacts };
}

const textColumns = {
  companies: ['name', 'address', 'phone', 'email', 'bank_name', 'kpp'],
  contacts: ['full_name', 'position', 'email'],
} as const;

let db: TestDatabase;
let conn: mysql.Connection;
let data: Dataset['shopA'];

beforeAll(async () => {
  db = await freshDatabase('sec_sqli', { charset: 'cp1251' });
  conn = await mysql.createConnection({ uri: db.url, charset: 'UTF8MB4_UNICODE_CI', dateStrings: true });
  data = hostileData();
  await loadShopA(conn, data, 7);
});
afterAll(async () => {
  await conn?.end();
  await db?.drop();
});

const config = (over: Record<string, unknown> = {}): MysqlSourceConfig =>
  MysqlSourceConfigSchema.parse({
    url: db.url,
    name: 'shop-a',
    pageSize: 4,
    once: true,
    lookbackSeconds: 0,
    reconnectRetries: 0,
    ...over,
  });

async function tablesIntact(): Promise<void> {
  const [rows] = await conn.query('SELECT (SELECT COUNT(*) FROM companies) AS c, (SELECT COUNT(*) FROM contacts) AS k');
  expect((rows as Array<{ c: number; k: number }>)[0]).toEqual({ c: data.companies.length, k: data.contacts.length });
}

function expectRoundTrip(table: 'companies' | 'contacts', rows: Array<Record<string, unknown>>): void {
  const source = data[table] as unknown as Array<Record<string, unknown>>;
  expect(rows).toHaveLength(source.length);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  for (const want of source) {
    const got = byId.get(Number(want.id))!;
    for (const col of textColumns[table]) expect(got[col], `${table}.${col} of ${String(want.id)}`).toBe(want[col]);
  }
}

describe('hostile strings through the loader and back through the sources', () => {
  it('the generator loader stores them verbatim; the full extract returns them byte for byte', async () => {
    await tablesIntact();
    const src = new MysqlFullSource({ config: config(), positions: new MemoryPositionStore() });
    const envs = await drain(src, { chunk: 5 });
    await src.close();
    expectRoundTrip(
      'companies',
      envs.filter((e) => e.value.table === 'companies').map((e) => e.value.row),
    );
    expectRoundTrip(
      'contacts',
      envs.filter((e) => e.value.table === 'contacts').map((e) => e.value.row),
    );
    await tablesIntact();
  });

  it('the delta returns them byte for byte too (its watermark comes back from rows holding them)', async () => {
    const src = new MysqlDeltaSource({ config: config(), positions: new MemoryPositionStore() });
    const envs = await drain(src, { chunk: 3 });
    await src.close();
    expectRoundTrip(
      'companies',
      envs.filter((e) => e.value.table === 'companies').map((e) => e.value.row),
    );
    await tablesIntact();
  });

  it('the SQL file the generator writes (shop-a.sql) loads them back verbatim', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sqli-'));
    const other = await freshDatabase('sec_sqli_file', { charset: 'cp1251' });
    const c = await mysql.createConnection({
      uri: other.url,
      charset: 'UTF8MB4_UNICODE_CI',
      dateStrings: true,
      multipleStatements: true,
    });
    try {
      const ds = generate(scales.small, 4);
      const paths = await writeDataset({ ...ds, shopA: data }, dir);
      await c.query(await readFile(paths.shopASql, 'utf8'));
      const [companies] = await c.query('SELECT * FROM companies ORDER BY id');
      const [contacts] = await c.query('SELECT * FROM contacts ORDER BY id');
      expectRoundTrip('companies', companies as Array<Record<string, unknown>>);
      expectRoundTrip('contacts', contacts as Array<Record<string, unknown>>);
    } finally {
      await c.end();
      await other.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile positions and table names never reach SQL text', () => {
  const hostileWatermarks = [
    JSON.stringify({ updatedAt: "2024-01-01 00:00:00'; DROP TABLE companies; --", id: 0 }),
    JSON.stringify({ updatedAt: "'; DROP TABLE companies; --", id: 0 }),
    JSON.stringify({ updatedAt: '2024-01-01 00:00:00', id: '0) OR 1=1; DROP TABLE companies; --' }),
    JSON.stringify({ updatedAt: '2024-01-01 00:00:00', id: { toString: 'x' } }),
    "'; DROP TABLE companies; --",
  ];

  it('a delta watermark that is not a (DATETIME, number) pair is refused before any query', async () => {
    for (const w of hostileWatermarks) {
      const positions = new MemoryPositionStore();
      await positions.put(deltaKey('shop-a', 'companies'), w);
      const src = new MysqlDeltaSource({ config: config({ tables: ['companies'] }), positions });
      await expect(src.read(10), w).rejects.toThrow();
      await src.close();
      await tablesIntact();
    }
  });

  it('a full-extract position that is not a number reads nothing it should not and drops nothing', async () => {
    for (const p of [
      '0; DROP TABLE companies; --',
      "0' OR '1'='1",
      '0) UNION SELECT * FROM contacts --',
      '1e400',
      '-1',
    ]) {
      const positions = new MemoryPositionStore();
      await positions.put(fullKey('shop-a', 'companies'), p);
      const src = new MysqlFullSource({ config: config({ tables: ['companies'] }), positions });
      let rows: Array<Record<string, unknown>> = [];
      try {
        rows = (await drain(src, { chunk: 50 })).map((e) => e.value.row);
      } catch {
        // Refusing the position is fine too.
      }
      await src.close();
      // Whatever it read are real companies rows, never another table's.
      for (const r of rows) expect(Object.keys(r)).toContain('inn');
      await tablesIntact();
    }
  });

  it('hostile table names are refused by the config and by quoteTable', () => {
    for (const t of [
      'companies; DROP TABLE contacts',
      'companies`; DROP TABLE contacts; --',
      '`companies`',
      'a b',
      'contacts--',
      'x'.repeat(65),
      '',
      '1companies',
      'shop.companies',
    ]) {
      expect(MysqlSourceConfigSchema.safeParse({ url: 'mysql://u@h/db', tables: [t] }).success, t).toBe(false);
      // quoteTable guards the characters, not the length (a long plain name is still one identifier).
      if (t.length <= 64) expect(() => quoteTable(t), t).toThrow(TypeError);
    }
  });
});
