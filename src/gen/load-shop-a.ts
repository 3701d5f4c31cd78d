import type { Connection } from 'mysql2/promise';
import { companyColumns, contactColumns, shopASchema } from './shop-a-schema.js';
import type { ShopAContactRow, ShopACompanyRow } from './stores.js';

/** Creates Shop A's tables and inserts rows in parameterized multi-row chunks. */
export async function loadShopA(
  conn: Connection,
  data: { companies: ShopACompanyRow[]; contacts: ShopAContactRow[] },
  chunk = 1000,
): Promise<void> {
  for (const ddl of shopASchema) await conn.query(ddl);
  await insertRows(conn, 'companies', companyColumns, data.companies, chunk);
  await insertRows(conn, 'contacts', contactColumns, data.contacts, chunk);
}

async function insertRows<R>(
  conn: Connection,
  table: string,
  columns: readonly (keyof R & string)[],
  rows: R[],
  chunk: number,
): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const values = part.map((r) => columns.map((c) => r[c]));
    await conn.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [values]);
  }
}
