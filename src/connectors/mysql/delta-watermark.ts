import type { MysqlConnection } from './connection.js';
import { deltaKey, type PositionStore } from './positions.js';
import { quoteTable } from './rows.js';
import { EPOCH, serializeWatermark } from './watermark.js';

/**
 * Records where the delta starts, before the full extract reads a single page, from inside the
 * extract's snapshot: the newest `updated_at` the snapshot can see (with id 0, so rows sharing
 * that time are re-read). Everything changed after the snapshot has a later `updated_at` — or
 * commits late on the replica with a slightly earlier one, which the delta's look-back covers.
 * This is Debezium's "remember the stream position, then snapshot" order. An existing watermark
 * is left alone: a resumed or replayed extract must not move the delta.
 */
export async function captureDeltaWatermarks(
  conn: MysqlConnection,
  name: string,
  tables: readonly string[],
  positions: PositionStore,
): Promise<void> {
  for (const table of tables) {
    const key = deltaKey(name, table);
    if ((await positions.get(key)) !== undefined) continue;
    const [rows] = await conn.query(`SELECT MAX(updated_at) AS u FROM ${quoteTable(table)}`);
    const u = (rows as Array<{ u: string | null }>)[0]?.u;
    await positions.put(key, serializeWatermark(u ? { updatedAt: u, id: 0 } : EPOCH));
  }
}
