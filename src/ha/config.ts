import { z } from 'zod';

/**
 * High availability (off by default): the state mirrored to a compacted Kafka topic, a lease
 * held through a consumer group, a standby that follows the mirror and takes over. The topics
 * and the transactional id are named after `app`, so two deployments on one cluster never meet.
 */
export const HaConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    brokers: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('bootstrap servers, host:port; default: sources.shopB.kafka.brokers (or KAFKA_BROKERS)'),
    app: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only (it names Kafka topics)')
      .default('crm-unify')
      .describe('names the lease topic (<app>.lease), the changelog (<app>.changelog) and the transactional id'),
    sessionTimeoutMs: z
      .number()
      .int()
      .min(6_000)
      .default(10_000)
      .describe('the lease: an active instance silent this long loses it to the standby'),
    heartbeatIntervalMs: z.number().int().positive().default(1_000),
    fenceMarginMs: z
      .number()
      .int()
      .positive()
      .default(3_000)
      .describe('an active instance whose heartbeats failed for sessionTimeoutMs minus this stops calling the CRM'),
  })
  .refine((c) => c.fenceMarginMs < c.sessionTimeoutMs, {
    message: 'fenceMarginMs must be below sessionTimeoutMs',
    path: ['fenceMarginMs'],
  })
  .refine((c) => c.heartbeatIntervalMs * 3 <= c.sessionTimeoutMs, {
    message: 'heartbeatIntervalMs must be at most a third of sessionTimeoutMs',
    path: ['heartbeatIntervalMs'],
  });

export type HaConfig = Readonly<z.infer<typeof HaConfigSchema>>;

/** Names derived from `app`: one place, so the active instance, the standby and the CLI agree. */
export function haNames(app: string) {
  return {
    leaseTopic: `${app}.lease`,
    leaseGroup: `${app}.lease`,
    changelogTopic: `${app}.changelog`,
    transactionalId: `${app}.state`,
  } as const;
}
