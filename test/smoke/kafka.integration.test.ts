// Smoke test of the real broker with the client the service uses (kafkajs 2.2.4 against Kafka
// 4.x is untested upstream): topic admin, keyed produce, consumer groups with committed offsets,
// resuming after a restart of the consumer, and replay by resetting the group's offsets.
import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Admin, type Consumer, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKafka, uniqueTopic } from '../support/inject.js';

interface Received {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

const PARTITIONS = 3;

describe('kafka (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  const topic = uniqueTopic('smoke-orders');
  const groupId = uniqueTopic('smoke-group');
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    kafka = testKafka('smoke-kafka');
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await admin?.disconnect();
  });

  /** High watermark per partition: the offset the next message will get. */
  async function highWatermarks(): Promise<number[]> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
  }

  async function produce(messages: { key: string; value: string; partition?: number }[]): Promise<void> {
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  /**
   * Consumes in the group until every partition is read up to `until` (high watermarks taken
   * after producing), commits what it read and leaves the group. Waiting for "caught up" instead
   * of "got N messages" means any message delivered twice or from the wrong offset shows up.
   */
  async function consumeUntilCaughtUp(until: number[], fromBeginning: boolean): Promise<Received[]> {
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 6_000, // the broker's group.min.session.timeout.ms
      heartbeatInterval: 500,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    const received: Received[] = [];
    const next = new Map<number, number>(); // partition -> next offset to read
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        received.push({
          partition,
          offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
        });
        next.set(partition, offset + 1);
      },
    });
    await waitFor(
      () => until.every((high, p) => high === 0 || (next.get(p) ?? -1) >= high),
      30_000,
      () => `caught up to ${until}, read ${[...next]}`,
    );
    await consumer.commitOffsets(
      [...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
    );
    await consumer.disconnect();
    return received;
  }

  // Not resolveOffsets: true, which is a write (it runs setOffsets, ~5 s) rather than a read.
  async function committedOffsets(): Promise<number[]> {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (result?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  }

  const firstBatch = Array.from({ length: 60 }, (_, i) => ({ key: `customer-${i % 12}`, value: `first-${i}` }));
  // Three per partition, so a consumer that ignored the committed offsets would show it on every partition.
  const secondBatch = Array.from({ length: 9 }, (_, i) => ({
    key: `late-${i}`,
    value: `second-${i}`,
    partition: i % PARTITIONS,
  }));
  let afterFirst: number[] = [];
  let afterSecond: number[] = [];

  it('creates a topic with 3 partitions', async () => {
    expect(
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      }),
    ).toBe(true);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]?.partitions).toHaveLength(PARTITIONS);
  });

  it('consumes keyed messages in a group and commits their offsets', async () => {
    await produce(firstBatch);
    afterFirst = await highWatermarks();
    expect(afterFirst.reduce((a, b) => a + b, 0)).toBe(firstBatch.length);

    const received = await consumeUntilCaughtUp(afterFirst, true);
    expect(received.map((r) => r.value).sort()).toEqual(firstBatch.map((m) => m.value).sort());
    // Same key, same partition, in produce order within it.
    const partitionOfKey = new Map<string, number>();
    for (const r of received) {
      expect(partitionOfKey.get(r.key) ?? r.partition).toBe(r.partition);
      partitionOfKey.set(r.key, r.partition);
    }
    expect(new Set(partitionOfKey.values()).size).toBeGreaterThan(1);
    for (const key of partitionOfKey.keys()) {
      const values = received.filter((r) => r.key === key).map((r) => Number(r.value.split('-')[1]));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    expect(await committedOffsets()).toEqual(afterFirst);
  });

  it('a new consumer in the group resumes from the committed offsets', async () => {
    await produce(secondBatch);
    afterSecond = await highWatermarks();
    // fromBeginning only applies without a committed offset, so it must not cause a replay here.
    const received = await consumeUntilCaughtUp(afterSecond, true);
    expect(received.map((r) => r.value).sort()).toEqual(secondBatch.map((m) => m.value).sort());
    for (let p = 0; p < PARTITIONS; p++) {
      expect(Math.min(...received.filter((r) => r.partition === p).map((r) => r.offset))).toBe(afterFirst[p]);
    }
    expect(await committedOffsets()).toEqual(afterSecond);
  });

  it('resetOffsets to earliest makes the group read everything again', async () => {
    await admin.resetOffsets({ groupId, topic, earliest: true });
    // kafkajs commits the sentinel -2 ("earliest"), not a real offset. A kafkajs consumer treats a
    // negative committed offset as "none" and falls back to its fromBeginning setting, so a replay
    // after resetOffsets needs readers that subscribe with fromBeginning: true.
    expect(await committedOffsets()).toEqual([-2, -2, -2]);
    const received = await consumeUntilCaughtUp(afterSecond, true);
    expect(received).toHaveLength(firstBatch.length + secondBatch.length);
    expect(new Set(received.map((r) => r.value)).size).toBe(received.length);
  });

  it('setOffsets to explicit offsets replays from exactly there', async () => {
    // Replay the last two messages of each partition. Real offsets work whatever fromBeginning is.
    const from = afterSecond.map((high) => high - 2);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: from.map((offset, partition) => ({ partition, offset: String(offset) })),
    });
    expect(await committedOffsets()).toEqual(from);
    const received = await consumeUntilCaughtUp(afterSecond, false);
    expect(received).toHaveLength(2 * PARTITIONS);
    expect(received.every((r) => r.offset >= (from[r.partition] ?? 0))).toBe(true);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${describe()}`);
    await sleep(25);
  }
}
