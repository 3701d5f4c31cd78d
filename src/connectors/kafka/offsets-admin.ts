import type { Admin, Kafka } from 'kafkajs';
import { CrmUnifyError } from '../../core/errors.js';
import { createKafkaClient } from './client.js';

export interface ResetGroupOffsetsOptions {
  brokers: readonly string[];
  groupId: string;
  topic: string;
  /** earliest retained, latest (skip everything), or the first offset at or after a time. */
  to: 'earliest' | 'latest' | Date;
  kafka?: Kafka;
}

/**
 * Replay for Shop B (`crm-unify replay shop-b --to …`): moves the group's committed offsets.
 * Refuses while the group has members — a running consumer would overwrite the reset with its
 * next commit (and Kafka rejects offset changes of an active group anyway).
 * Returns the offsets set per partition.
 */
export async function resetGroupOffsets(
  opts: ResetGroupOffsetsOptions,
): Promise<Array<{ partition: number; offset: string }>> {
  if (opts.to instanceof Date && Number.isNaN(opts.to.getTime()))
    throw new CrmUnifyError('USAGE', 'replay time is not a valid date');
  const admin = (opts.kafka ?? createKafkaClient(opts.brokers, 'crm-unify-admin')).admin();
  await admin.connect();
  try {
    await refuseActiveGroup(admin, opts.groupId);
    if (opts.to === 'earliest' || opts.to === 'latest') {
      await admin.resetOffsets({ groupId: opts.groupId, topic: opts.topic, earliest: opts.to === 'earliest' });
      const ends = await admin.fetchTopicOffsets(opts.topic);
      return ends.map((e) => ({ partition: e.partition, offset: opts.to === 'earliest' ? e.low : e.high }));
    }
    // Partitions with nothing at or after the time get their end offset (kafkajs does that).
    const partitions = await admin.fetchTopicOffsetsByTimestamp(opts.topic, opts.to.getTime());
    await admin.setOffsets({ groupId: opts.groupId, topic: opts.topic, partitions });
    return partitions;
  } finally {
    await admin.disconnect();
  }
}

async function refuseActiveGroup(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0) {
    throw new CrmUnifyError(
      'USAGE',
      `consumer group ${groupId} has ${members} active member(s) (state ${groups[0]?.state}); stop the consumers before resetting its offsets`,
      {
        details: { groupId, members, state: groups[0]?.state },
      },
    );
  }
}
