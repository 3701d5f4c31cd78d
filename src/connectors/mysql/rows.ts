/** What the MySQL sources emit: a row exactly as the server returned it, and its table. */
export interface MysqlRow {
  table: string;
  /** What the binlog saw happen to the row (binlog mode only; the mapper reads the row alone). */
  op?: 'insert' | 'update' | 'delete';
  /** Column name → value; text is UTF-8 (converted from cp1251 by the server), DATETIMEs are text. */
  row: Record<string, unknown>;
}

/** `id` of a row as a number (INT UNSIGNED fits); anything else is a schema mismatch. */
export function rowId(row: Record<string, unknown>, table: string): number {
  const id = Number(row.id);
  if (!Number.isSafeInteger(id) || id < 0) throw new TypeError(`${table}: row without a usable id (${String(row.id)})`);
  return id;
}

/** Backtick-quotes a table name the config already restricted to [A-Za-z0-9_]. */
export function quoteTable(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new TypeError(`not a plain table name: ${table}`);
  return `\`${table}\``;
}
