// The harness's own promise to chaos tests: a broker can be stopped (cleanly or by a crash) and
// started again on the same address with its data intact. Uses a private broker, not the shared one.
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaBroker } from '../support/kafka-broker.js';
import { uniqueTopic } from '../support/inject.js';

describe('kafka broker restart (harness)', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  const topic = uniqueTopic('restart');

  beforeAll(async () => {
    broker = await startKafka();
    kafka = new Kafka({ clientId: 'smoke-restart', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  async function produce(values: string[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    await producer.disconnect();
  }

  async function highWatermark(): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return Number((await admin.fetchTopicOffsets(topic))[0]?.high);
    } finally {
      await admin.disconnect();
    }
  }

  it('keeps port, data dir and messages across stop()/start() and kill()/start()', async () => {
    const { brokers, dataDir } = broker;
    await produce(['a', 'b', 'c']);

    await broker.stop();
    expect(broker.pid()).toBeUndefined();
    await broker.start();
    expect(broker.brokers).toEqual(brokers);
    expect(broker.dataDir).toBe(dataDir);
    expect(await highWatermark()).toBe(3);

    await produce(['d', 'e']);
    await broker.kill(); // a crash: no clean shutdown, the log is recovered on start
    await broker.start();
    expect(await highWatermark()).toBe(5);
  });
});
