// One database per test suite, so suites never see each other's tables and can run against a
// shared server (the local one on CI, or whatever MYSQL_URL names).
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

export interface TestDatabase {
  /** baseUrl with this database as its path. */
  url: string;
  name: string;
  /** DROP DATABASE IF EXISTS; safe to call twice. */
  drop(): Promise<void>;
}

/** A database name from the prefix plus time and randomness: [a-z0-9_], at most 64 chars. */
export function uniqueDatabaseName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .slice(0, 40) || 'test';
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function createTestDatabase(
  baseUrl: string,
  prefix: string,
  opts: { charset?: string; collation?: string } = {},
): Promise<TestDatabase> {
  const charset = opts.charset ?? 'utf8mb4';
  for (const word of [charset, opts.collation ?? '']) {
    if (!/^\w*$/.test(word)) throw new Error(`invalid charset/collation: ${word}`);
  }
  const name = uniqueDatabaseName(prefix);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const admin = (sql: string) => withConnection(baseUrl, (c) => c.query(sql));
  const collate = opts.collation ? ` COLLATE ${opts.collation}` : '';
  await admin(`CREATE DATABASE \`${name}\` CHARACTER SET ${charset}${collate}`);
  return { url: url.toString(), name, drop: async () => void (await admin(`DROP DATABASE IF EXISTS \`${name}\``)) };
}

async function withConnection<T>(url: string, work: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  // The base URL may name a database; the admin connection must not depend on it.
  const bare = new URL(url);
  bare.pathname = '/';
  const connection = await mysql.createConnection({ uri: bare.toString() });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}
