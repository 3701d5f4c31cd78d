// Smoke test of the real MySQL-compatible server with mysql2: legacy cp1251 tables keep Cyrillic
// intact, and a large result can be streamed row by row without the client holding all of it.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import iconv from 'iconv-lite';
import { createConnection as createCallbackConnection } from 'mysql2';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../support/mysql-database.js';
import { exposeGc } from '../support/gc.js';
import { freshDatabase } from '../support/inject.js';

const ROWS = 100_000;
const PAYLOAD = 500; // chars per row: ~50 MB of strings for the whole result

describe('mysql (real server)', () => {
  let db: TestDatabase;
  let conn: mysql.Connection;

  beforeAll(async () => {
    db = await freshDatabase('smoke_mysql');
    conn = await mysql.createConnection({ uri: db.url });
    // Refuse bad data instead of storing '?', whatever the server's default mode is.
    await conn.query("SET SESSION sql_mode = 'STRICT_ALL_TABLES'");
  });

  afterAll(async () => {
    await conn?.end();
    await db?.drop();
  });

  it('a cp1251 table round-trips Cyrillic text', async () => {
    const texts = ['ООО «Ёлочка» №1', 'ёжик, ЁЖИК', 'ИП Щукин — «Рога и копыта» № 42'];
    await conn.query('CREATE TABLE legacy (id INT PRIMARY KEY, name VARCHAR(200)) CHARACTER SET cp1251');
    await conn.query('INSERT INTO legacy (id, name) VALUES ?', [texts.map((t, i) => [i, t])]);

    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT name, HEX(name) AS hex, LENGTH(name) AS bytes FROM legacy ORDER BY id',
    );
    expect(rows.map((r) => r.name)).toEqual(texts);
    // Stored as real cp1251 (one byte per letter), not as UTF-8 bytes or '?' substitutes.
    expect(rows.map((r) => r.hex)).toEqual(texts.map((t) => iconv.encode(t, 'cp1251').toString('hex').toUpperCase()));
    expect(rows.map((r) => Number(r.bytes))).toEqual(texts.map((t) => t.length));

    // A client that talks cp1251 itself (as legacy shop code does) reads the same text.
    const legacyClient = await mysql.createConnection({ uri: db.url, charset: 'CP1251_GENERAL_CI' });
    try {
      const [legacyRows] = await legacyClient.query<RowDataPacket[]>('SELECT name FROM legacy ORDER BY id');
      expect(legacyRows.map((r) => r.name)).toEqual(texts);
    } finally {
      await legacyClient.end();
    }

    // The column really is cp1251: a character it cannot hold is refused.
    await expect(conn.query('INSERT INTO legacy (id, name) VALUES (99, ?)', ['中文'])).rejects.toThrow(
      /Incorrect string value/,
    );
  });

  it('streams 100 000 rows without holding the result in memory', async () => {
    await conn.query('CREATE TABLE digits (d TINYINT PRIMARY KEY)');
    await conn.query('INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
    await conn.query('CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(600) NOT NULL)');
    // One INSERT…SELECT over a 10^5 cross join: seconds, not 100 000 round trips.
    await conn.query(
      `INSERT INTO big (id, payload)
       SELECT n, CONCAT(LPAD(n, 8, '0'), REPEAT('x', ${PAYLOAD - 8}))
       FROM (SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
             FROM digits a CROSS JOIN digits b CROSS JOIN digits c CROSS JOIN digits e CROSS JOIN digits f) s`,
    );

    const gc = exposeGc();
    const heapUsed = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const baseline = heapUsed();

    const streaming = createCallbackConnection({ uri: db.url });
    let rows = 0;
    let chars = 0;
    let lastId = 0;
    let ordered = true;
    let peakRetained = 0;
    try {
      const stream = streaming.query('SELECT id, payload FROM big ORDER BY id').stream({ highWaterMark: 64 });
      for await (const row of stream as AsyncIterable<{ id: number; payload: string }>) {
        rows++;
        chars += row.payload.length;
        ordered &&= row.id === lastId + 1;
        lastId = row.id;
        if (rows % 10_000 === 0) {
          // Measured mid-stream, after a full GC: only what the client still holds counts.
          peakRetained = Math.max(peakRetained, heapUsed() - baseline);
          await yieldToLoop(); // be a slow consumer now and then, so backpressure has to work
        }
      }
    } finally {
      await new Promise<void>((resolve) => streaming.end(() => resolve()));
    }
    expect(rows).toBe(ROWS);
    expect(ordered).toBe(true);
    expect(chars).toBe(ROWS * PAYLOAD);

    // Control: the same measurement with the whole result in hand, proving it would notice.
    const [all] = await conn.query<RowDataPacket[]>('SELECT id, payload FROM big');
    const retainedWhole = heapUsed() - baseline;
    expect(all).toHaveLength(ROWS);
    expect(retainedWhole).toBeGreaterThan(ROWS * PAYLOAD * 0.8);

    expect(peakRetained).toBeLessThan(8 * 1024 * 1024);
    expect(peakRetained * 5).toBeLessThan(retainedWhole);
  });
});
