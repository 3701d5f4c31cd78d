import { z } from 'zod';
import { parseConfig } from '../../core/config.js';

/**
 * Shop B's change events. Defaults follow Redpanda Connect's `kafka_franz` input (commit every
 * 5 s) and Kafka Connect sinks (a new group starts from the earliest retained offset).
 */
export const KafkaSourceConfigSchema = z.object({
  brokers: z.array(z.string().min(1)).min(1).describe('bootstrap servers, host:port'),
  clientId: z.string().min(1).default('crm-unify').describe('kafkajs client id (broker logs, quotas)'),
  topic: z.string().min(1).default('shop-b.crm.partners').describe('the topic read'),
  groupId: z
    .string()
    .min(1)
    .default('crm-unify.shop-b')
    .describe('consumer group; committed offsets are the source position'),
  once: z
    .boolean()
    .default(false)
    .describe('report done when every partition reaches the end offsets recorded at start (`--once`)'),
  queueHighWater: z.number().int().positive().default(2000).describe('queued records at which the topic is paused'),
  queueLowWater: z.number().int().nonnegative().default(500).describe('queued records at which it is resumed'),
  commitIntervalMs: z
    .number()
    .int()
    .positive()
    .default(5000)
    .describe('how often acked offsets are committed (and once more on close)'),
  maxWaitMs: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe('how long a read waits for records before returning none; also the fetch long-poll time'),
  sessionTimeoutMs: z.number().int().positive().default(30_000),
  maxBytesPerPartition: z
    .number()
    .int()
    .positive()
    .default(1_048_576)
    .describe('fetch size per partition: bounds the overshoot past queueHighWater'),
});

export type KafkaSourceConfig = Readonly<z.infer<typeof KafkaSourceConfigSchema>>;

export function loadKafkaSourceConfig(input: Record<string, unknown>): KafkaSourceConfig {
  const config = parseConfig(KafkaSourceConfigSchema, input, 'kafka');
  if (config.queueLowWater >= config.queueHighWater) {
    throw new TypeError('kafka: queueLowWater must be below queueHighWater');
  }
  return config;
}
