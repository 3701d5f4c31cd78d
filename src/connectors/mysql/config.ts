import { z } from 'zod';
import { parseConfig } from '../../core/config.js';
import { registerUrlSecrets } from '../../core/secrets.js';

/** A table name goes into SQL text (identifiers cannot be parameters), so only plain names pass. */
const tableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a plain table name ([A-Za-z_][A-Za-z0-9_]*)');

/**
 * Shop A's MySQL (a replica, never written to). The connection always uses utf8mb4: the tables
 * are cp1251 and the server converts their text to UTF-8 on the way out, so rows arrive as proper
 * JS strings and no byte-level decoding is needed in the mapper.
 */
export const MysqlSourceConfigSchema = z.object({
  name: z
    .string()
    .min(1)
    .default('shop-a')
    .describe('source name: prefixes position keys and envelope sources (`shop-a.companies`)'),
  url: z.string().min(1).describe('mysql://user:password@host:port/database of the replica'),
  tables: z
    .array(tableName)
    .min(1)
    .default(['companies', 'contacts'])
    .describe('tables read, in this order; each needs `id` and `updated_at`'),
  mode: z
    .enum(['poll', 'binlog'])
    .default('poll')
    .describe(
      'how changes after the full extract are read: `poll` (by updated_at) or `binlog` (row events; sees hard DELETEs; needs log_bin, binlog_format=ROW, binlog_row_image=FULL and REPLICATION SLAVE/CLIENT)',
    ),
  binlogServerId: z
    .number()
    .int()
    .min(1)
    .max(4_294_967_295)
    .default(54_321)
    .describe(
      'binlog: the replica server id this reader announces; must differ from every server and other reader of that binlog',
    ),
  snapshotWhenNeeded: z
    .boolean()
    .default(false)
    .describe(
      "binlog: when the saved position is no longer in the server's retained binlogs, take a new full extract and stream from its position (Debezium's when_needed) instead of failing",
    ),
  binlogBufferRows: z
    .number()
    .int()
    .positive()
    .default(5000)
    .describe('binlog: row changes read ahead of the pipeline before the stream is paused'),
  pageSize: z
    .number()
    .int()
    .positive()
    .max(100_000)
    .default(1000)
    .describe('rows per keyset page (capped by the credit of each read)'),
  pollIntervalMs: z.number().int().positive().default(1000).describe('delta: pause between polls once caught up'),
  lookbackSeconds: z
    .number()
    .nonnegative()
    .default(30)
    .describe(
      'delta: each poll re-reads rows whose updated_at is within this many seconds of the watermark, so rows that commit late on the replica are not skipped',
    ),
  once: z.boolean().default(false).describe('delta: report done after one pass reaches the present (`--once`)'),
  sourceTimeZone: z
    .string()
    .regex(/^[+-]\d{2}:\d{2}$/)
    .default('+00:00')
    .describe('offset the DATETIME columns are written in; used only to turn a replay time into a watermark'),
  reconnectRetries: z
    .number()
    .int()
    .nonnegative()
    .default(20)
    .describe(
      "reconnect attempts after a lost connection before the source fails, when used without the service's outage policy (`crm-unify run` waits for the server forever, or up to runtime.connectTimeoutMs with --once)",
    ),
  reconnectBaseMs: z.number().int().positive().default(200),
  reconnectMaxMs: z.number().int().positive().default(10_000),
});

export type MysqlSourceConfig = Readonly<z.infer<typeof MysqlSourceConfigSchema>>;

export function loadMysqlSourceConfig(input: Record<string, unknown>): MysqlSourceConfig {
  const config = parseConfig(MysqlSourceConfigSchema, input, 'mysql');
  registerUrlSecrets(config.url);
  return config;
}
