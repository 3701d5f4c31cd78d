import { CrmUnifyError } from '../../core/errors.js';
import type { MysqlSourceConfig } from './config.js';
import { binlogKey, deltaKey, FULL_DONE, fullKey, type PositionStore } from './positions.js';
import { datetimeAt, serializeWatermark } from './watermark.js';

export type MysqlResetTarget = 'earliest' | 'latest' | Date;

/**
 * Replay for Shop A (`crm-unify replay shop-a --to …`), through the position store; run it while
 * the sources are stopped.
 * - `earliest`: forgets every position, so the next run does a full extract again (and captures a
 *   fresh delta watermark, or binlog position, first).
 * - a time: the delta restarts from that moment (`updated_at` at or after it); the full extract's
 *   position is left as it is.
 * - `latest`: the delta continues from now and the full extract counts as done.
 * Times become DATETIME text in `sourceTimeZone`, the zone the shop writes `updated_at` in.
 */
export async function resetMysqlPositions(
  positions: PositionStore,
  config: Pick<MysqlSourceConfig, 'name' | 'tables' | 'sourceTimeZone'>,
  to: MysqlResetTarget,
  now: () => Date = () => new Date(),
): Promise<void> {
  if (to instanceof Date && Number.isNaN(to.getTime()))
    throw new CrmUnifyError('USAGE', 'replay time is not a valid date');
  for (const table of config.tables) {
    if (to === 'earliest') {
      await positions.delete(fullKey(config.name, table));
      await positions.delete(deltaKey(config.name, table));
      continue;
    }
    const at = to === 'latest' ? now() : to;
    // id 0 with the time itself: `(updated_at, id) > (t, 0)` includes every row of that second.
    await positions.put(
      deltaKey(config.name, table),
      serializeWatermark({ updatedAt: datetimeAt(at, config.sourceTimeZone), id: 0 }),
    );
    if (to === 'latest') await positions.put(fullKey(config.name, table), FULL_DONE);
  }
  // Last, so a state cut short here still restarts as a fresh extract in binlog mode too.
  if (to === 'earliest') await positions.delete(binlogKey(config.name));
}
