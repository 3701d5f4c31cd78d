import { z } from 'zod';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../connectors/egrul/config.js';
import { JsonDumpSourceConfigSchema } from '../connectors/json-dump/config.js';
import { KafkaSourceConfigSchema } from '../connectors/kafka/config.js';
import { MysqlSourceConfigSchema } from '../connectors/mysql/config.js';
import { isSecureOrLoopback } from '../core/urls.js';
import { HaConfigSchema } from '../ha/config.js';

/**
 * The service's config file: each part is the owning connector's own schema (one source of truth
 * for defaults and rules), arranged in the shape operators write (README, "Configuration").
 */

// The Bitrix24 webhook rules (https, or loopback / allow-listed http) live in its connector schema;
// the register needs the same rule here, since DaData itself is always https.
const httpMessage = (what: string) =>
  `${what} must be https:// (plain http:// is accepted only for a loopback host or one listed in CRM_UNIFY_ALLOW_HTTP_HOSTS)`;

const RegistryConfig = EgrulConfigSchema.extend({
  url: z
    .url()
    .default('https://suggestions.dadata.ru')
    .refine((u) => isSecureOrLoopback(u), httpMessage('the register (DaData) URL')),
});

const ShopAConfig = MysqlSourceConfigSchema.omit({ url: true, name: true }).extend({
  mysql: z
    .string()
    .regex(/^mysql:\/\//, 'expected a mysql:// URL')
    .describe('Replica URL; better given as SHOP_A_MYSQL_URL'),
});

const ShopBConfig = z.object({
  dump: JsonDumpSourceConfigSchema.omit({ name: true }).optional(),
  kafka: KafkaSourceConfigSchema.optional(),
});

const RuntimeConfig = z.object({
  maxInFlight: z.number().int().positive().default(2000).describe('records read and not yet settled, per source'),
  shutdownTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe('how long SIGTERM waits for in-flight records to settle'),
  loadWindowMs: z.number().int().positive().default(250),
  loadMaxRecords: z.number().int().positive().default(500),
  connectTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(120_000)
    .describe('--once: give up on a server unreachable this long (a service run retries forever)'),
  connectRetryBaseMs: z
    .number()
    .int()
    .positive()
    .default(500)
    .describe('first wait before reconnecting to an unreachable server; doubles up to connectRetryMaxMs, with jitter'),
  connectRetryMaxMs: z.number().int().positive().default(15_000),
  readyGraceMs: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe('how long a component that was up may be unreachable before /healthz/ready turns false'),
  wedgedAfterMs: z
    .number()
    .int()
    .positive()
    .default(1_800_000)
    .describe(
      'records in flight and none settled this long, every server reachable: /healthz/live turns false (restart me)',
    ),
});

export const AppConfig = z
  .object({
    state: z.object({ dir: z.string().min(1).default('var/state') }).default({ dir: 'var/state' }),
    metrics: z
      .object({
        port: z.number().int().min(0).max(65535).default(9464),
        host: z
          .string()
          .default('127.0.0.1')
          .describe('interface for /metrics and /healthz (loopback unless told otherwise)'),
      })
      .default({ port: 9464, host: '127.0.0.1' }),
    crm: Bitrix24ConfigSchema,
    registry: RegistryConfig,
    runtime: RuntimeConfig.default(RuntimeConfig.parse({})),
    ha: HaConfigSchema.default(HaConfigSchema.parse({})),
    sources: z
      .object({
        shopA: ShopAConfig.optional(),
        shopB: ShopBConfig.optional(),
      })
      .default({}),
  })
  .superRefine((c, ctx) => {
    if (c.ha.enabled && !c.ha.brokers && !c.sources.shopB?.kafka?.brokers) {
      ctx.addIssue({
        code: 'custom',
        path: ['ha', 'brokers'],
        message:
          'ha.enabled needs Kafka brokers: set ha.brokers (or sources.shopB.kafka.brokers, which it defaults to)',
      });
    }
  });

/** The brokers of the HA topics (the lease and the state changelog). */
export function haBrokers(c: Pick<AppConfig, 'ha' | 'sources'>): readonly string[] {
  return c.ha.brokers ?? c.sources.shopB?.kafka?.brokers ?? [];
}

export type AppConfig = z.infer<typeof AppConfig>;
