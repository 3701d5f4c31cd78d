// A MySQL password never shows: a real user with a known password on the test server, and the
// Shop A sources failing with that URL in every way we can provoke (unknown database, connection
// killed mid-extract, server unreachable, access denied) — the thrown errors (message, stack, own
// fields, causes) and what the service's logger writes about them never contain the password,
// raw or URL-encoded.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { MysqlSourceConfigSchema, type MysqlSourceConfig } from '../../src/connectors/mysql/config.js';
import { MysqlDeltaSource } from '../../src/connectors/mysql/mysql-delta.source.js';
import { MysqlFullSource } from '../../src/connectors/mysql/mysql-full.source.js';
import { parseConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { MemoryPositionStore } from '../../src/core/positions.js';
import { clearSecretsForTests } from '../../src/core/secrets.js';
import { generate, scales } from '../../src/gen/dataset.js';
import { loadShopA } from '../../src/gen/load-shop-a.js';
import { freshDatabase, mysqlUrl } from '../support/inject.js';
import type { TestDatabase } from '../support/mysql-database.js';

const user = `cu_sec_${randomBytes(4).toString('hex')}`;
// Characters that need URL-encoding, so both the raw and the encoded form must be masked.
const password = `Pw-${randomBytes(9).toString('hex')}-@:/%!`;
let db: TestDatabase;
let admin: mysql.Connection;
let url: string;

const hosts = ['%', 'localhost', '127.0.0.1'];

beforeAll(async () => {
  clearSecretsForTests();
  db = await freshDatabase('sec_pw');
  const base = new URL(mysqlUrl());
  base.pathname = '/';
  admin = await mysql.createConnection({ uri: base.toString() });
  for (const h of hosts) {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, h, password]);
    await admin.query(`GRANT ALL ON \`${db.name}\`.* TO ?@?`, [user, h]);
  }
  const u = new URL(db.url);
  u.username = user;
  u.password = encodeURIComponent(password);
  url = u.toString();
  const conn = await mysql.createConnection({ uri: url, charset: 'UTF8MB4_UNICODE_CI' });
  const ds = generate(scales.small, 3);
  await loadShopA(conn, { companies: ds.shopA.companies.slice(0, 40), contacts: ds.shopA.contacts.slice(0, 40) });
  await conn.end();
  // As the service does at start: the config (with the URL) is resolved, which registers its secrets.
  resolveConfig(
    {
      crm: { webhookUrl: 'https://portal.example.com/rest/1/abcdef/' },
      registry: { token: 'token-1' },
      sources: { shopA: { mysql: url } },
    },
    {},
  );
});
afterAll(async () => {
  for (const h of hosts) await admin?.query('DROP USER IF EXISTS ?@?', [user, h]).catch(() => {});
  await admin?.end();
  await db?.drop();
  clearSecretsForTests();
});

const config = (over: Record<string, unknown>): MysqlSourceConfig =>
  parseConfig(
    MysqlSourceConfigSchema,
    {
      url,
      name: 'shop-a',
      pageSize: 5,
      reconnectRetries: 0,
      reconnectBaseMs: 20,
      reconnectMaxMs: 50,
      once: true,
      ...over,
    },
    'sources.shopA',
  );

function everythingIn(err: unknown, depth = 0): string {
  if (depth > 5 || err == null) return '';
  if (!(err instanceof Error)) return String(err);
  const own = Object.fromEntries(
    Object.getOwnPropertyNames(err).map((k) => [k, (err as unknown as Record<string, unknown>)[k]]),
  );
  let text = `${String(err)}\n${err.stack ?? ''}\n`;
  try {
    text += JSON.stringify(own);
  } catch {
    /* circular */
  }
  return text + everythingIn((err as { cause?: unknown }).cause, depth + 1);
}

async function expectNoPassword(err: unknown): Promise<void> {
  expect(err).toBeInstanceOf(Error);
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    }),
  });
  logger.error({ err }, 'topology failed');
  logger.error(`topology failed: ${(err as Error).message}`);
  await new Promise((r) => setTimeout(r, 30));
  for (const text of [everythingIn(err), lines.join('')]) {
    expect(text).not.toContain(password);
    expect(text).not.toContain(encodeURIComponent(password));
  }
}

async function failureOf(read: () => Promise<unknown>): Promise<unknown> {
  try {
    await read();
  } catch (err) {
    return err;
  }
  throw new Error('expected the read to fail');
}

describe('a MySQL password in every failure of the Shop A sources', () => {
  it('the user and password work (the failures below are the ones we provoke)', async () => {
    const src = new MysqlFullSource({ config: config({}), positions: new MemoryPositionStore() });
    expect((await src.read(5)).records).toHaveLength(5);
    await src.close();
  });

  it('unknown database', async () => {
    const u = new URL(url);
    u.pathname = `/${db.name}_missing`;
    for (const Source of [MysqlFullSource, MysqlDeltaSource]) {
      const src = new Source({ config: config({ url: u.toString() }), positions: new MemoryPositionStore() });
      const err = await failureOf(() => src.read(5));
      expect(String(err)).toMatch(/Unknown database|Access denied/);
      await expectNoPassword(err);
      await src.close();
    }
  });

  it('connection killed in the middle of the full extract (no retries left)', async () => {
    const src = new MysqlFullSource({ config: config({}), positions: new MemoryPositionStore() });
    expect((await src.read(5)).records).toHaveLength(5);
    await admin.query(`KILL CONNECTION ${Number(src.connectionId)}`);
    const err = await failureOf(async () => {
      for (let i = 0; i < 20; i++) await src.read(5);
    });
    expect(['SOURCE_READ_FAILED', 'RETRIES_EXHAUSTED']).toContain((err as { code?: string }).code);
    await expectNoPassword(err);
    await src.close();
  });

  it('table missing (a schema error, not retried)', async () => {
    const src = new MysqlFullSource({
      config: config({ tables: ['no_such_table'] }),
      positions: new MemoryPositionStore(),
    });
    const err = await failureOf(() => src.read(5));
    await expectNoPassword(err);
    await src.close();
  });

  it('server unreachable, and access denied for the same user with the password on another host', async () => {
    const refused = new URL(url);
    refused.port = '1';
    const denied = new URL(url);
    denied.pathname = '/mysql';
    for (const u of [refused, denied]) {
      const src = new MysqlFullSource({ config: config({ url: u.toString() }), positions: new MemoryPositionStore() });
      const err = await failureOf(() => src.read(5));
      await expectNoPassword(err);
      await src.close();
    }
  });
});
