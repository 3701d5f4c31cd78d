import { randomUUID } from 'node:crypto';
import type { KafkaSourceConfig } from '../connectors/kafka/config.js';
import { createKafkaClient } from '../connectors/kafka/client.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface ScratchGroup {
  groupId: string;
  drop(): Promise<void>;
}

/**
 * Shop B's Kafka position is its consumer group's committed offsets, on the broker, not in the
 * state: a dry run must not move them. It reads through a throwaway group that starts where the
 * real one stands (a partition the real group never committed starts from earliest in both), and
 * deletes that group afterwards.
 */
export async function scratchKafkaGroup(cfg: KafkaSourceConfig, logger: Logger): Promise<ScratchGroup> {
  const kafka = createKafkaClient(cfg.brokers, cfg.clientId, logger);
  const groupId = `${cfg.groupId}.plan-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: cfg.groupId, topics: [cfg.topic] });
    const partitions = (committed?.partitions ?? [])
      .filter((p) => Number(p.offset) >= 0)
      .map(({ partition, offset }) => ({ partition, offset }));
    if (partitions.length) await admin.setOffsets({ groupId, topic: cfg.topic, partitions });
  } finally {
    await admin.disconnect();
  }
  return {
    groupId,
    drop: async () => {
      const a = kafka.admin();
      try {
        await a.connect();
        await a.deleteGroups([groupId]);
      } catch (err) {
        logger.warn({ groupId, err: errorMessage(err) }, 'plan: could not delete its scratch consumer group');
      } finally {
        await a.disconnect();
      }
    },
  };
}
