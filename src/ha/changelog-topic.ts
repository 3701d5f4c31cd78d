import type { Admin } from 'kafkajs';
import { CrmUnifyError, errorMessage } from '../core/errors.js';

const MB = 1 << 20;

/**
 * The changelog topic's settings. One partition: the changelog is one total order (a transaction,
 * its commit marker, the next). Compacted: the latest value per key is the state. A message
 * stays uncompacted for an hour, so a standby a little behind still sees every version; a
 * tombstone stays a week, so a standby (or a verify) that was away less than that still sees
 * the delete (longer away: restore afresh). Messages up to 8 MB (the writer splits sends at
 * ~900 KB; one large value still fits), segments of 128 MB so compaction starts before a week.
 */
export const changelogTopicConfig = {
  'cleanup.policy': 'compact',
  'min.compaction.lag.ms': String(60 * 60 * 1000),
  'delete.retention.ms': String(7 * 24 * 60 * 60 * 1000),
  'max.message.bytes': String(8 * MB),
  'segment.bytes': String(128 * MB),
} as const;

/**
 * Creates the changelog topic when it is missing, with a replication factor of min(3, brokers)
 * unless one is given (kafkajs cannot ask for the broker's default). An existing topic is kept
 * as it is, but it must have one partition: with more, the changelog has no total order.
 */
export async function ensureChangelogTopic(
  admin: Admin,
  topic: string,
  opts: { replicationFactor?: number } = {},
): Promise<void> {
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      const brokers = (await admin.describeCluster()).brokers.length;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: opts.replicationFactor ?? Math.min(3, brokers),
            configEntries: Object.entries(changelogTopicConfig).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    }
  } catch (err) {
    throw new CrmUnifyError('CHANGELOG_FAILED', `cannot create the state changelog ${topic}: ${errorMessage(err)}`, {
      cause: err,
      retriable: true,
    });
  }
  await assertOnePartition(admin, topic);
}

/** Fails with CHANGELOG_FAILED when the topic is missing or has more than one partition. */
export async function assertChangelogTopic(admin: Admin, topic: string): Promise<void> {
  let exists: boolean;
  try {
    exists = (await admin.listTopics()).includes(topic);
  } catch (err) {
    throw new CrmUnifyError('CHANGELOG_FAILED', `cannot reach Kafka for the state changelog: ${errorMessage(err)}`, {
      cause: err,
      retriable: true,
    });
  }
  if (!exists) throw new CrmUnifyError('CHANGELOG_FAILED', `the state changelog topic ${topic} does not exist`);
  await assertOnePartition(admin, topic);
}

async function assertOnePartition(admin: Admin, topic: string): Promise<void> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = topics[0]?.partitions.length ?? 0;
  if (partitions !== 1) {
    throw new CrmUnifyError(
      'CHANGELOG_FAILED',
      `the state changelog topic ${topic} has ${partitions} partitions; it needs exactly one (a total order)`,
    );
  }
}

/**
 * The end of the changelog for a reader of committed data: the last stable offset (kafkajs
 * lists offsets read_committed), i.e. the first offset not yet readable. Everything before it
 * is committed data, aborted data or transaction markers.
 */
export async function changelogEnd(admin: Admin, topic: string): Promise<bigint> {
  try {
    const [p] = await admin.fetchTopicOffsets(topic);
    return BigInt(p?.offset ?? '0');
  } catch (err) {
    throw new CrmUnifyError(
      'CHANGELOG_FAILED',
      `cannot read the end of the state changelog ${topic}: ${errorMessage(err)}`,
      {
        cause: err,
        retriable: true,
      },
    );
  }
}
