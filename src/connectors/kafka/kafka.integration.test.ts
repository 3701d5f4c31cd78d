import type { Admin, Kafka, Producer } from 'kafkajs';
import { lastValueFrom, mergeMap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../core/envelope.js';
import { CrmUnifyError } from '../../core/errors.js';
import { defaultConnectPolicy, Reachability } from '../../core/reachability.js';
import { fromPullSource } from '../../core/pull-source.js';
import type { RejectSink } from '../../core/rejects.js';
import { stage } from '../../core/stage.js';
import { accept, reject } from '../../model/outcome.js';
import { kafkaBrokers, testKafka, uniqueTopic } from '../../../test/support/inject.js';
import { drain, expectCreditHeld, take } from '../../../test/sources/contract.js';
import { KafkaSourceConfigSchema, type KafkaSourceConfig } from './config.js';
import { dlqHeaders, dlqTopicOf, KafkaDlqRejectSink } from './dlq.sink.js';
import { KafkaSource } from './kafka.source.js';
import { resetGroupOffsets } from './offsets-admin.js';
import type { KafkaRawRecord } from './record.js';

let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  kafka = testKafka('kafka-source-test');
  admin = kafka.admin();
  producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
});
afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
});

/** A 3-partition topic holding `n` events with seq 0..n-1 (key = partnerId, round-robin). */
async function topicWith(n: number, prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await produce(topic, 0, n);
  return topic;
}

async function produce(topic: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 500) {
    const messages = [];
    for (let k = i; k < Math.min(to, i + 500); k++) {
      messages.push({
        key: `P${k}`,
        partition: k % 3,
        value: JSON.stringify({ eventId: `e${k}`, type: 'PARTNER_UPSERT', seq: k }),
      });
    }
    await producer.send({ topic, acks: -1, messages });
  }
}

function config(topic: string, over: Partial<KafkaSourceConfig> = {}): KafkaSourceConfig {
  return KafkaSourceConfigSchema.parse({
    brokers: kafkaBrokers(),
    topic,
    groupId: `${topic}-g`,
    once: true,
    commitIntervalMs: 200,
    maxWaitMs: 200,
    sessionTimeoutMs: 10_000,
    ...over,
  });
}

const seqOf = (e: Envelope<KafkaRawRecord>) => (JSON.parse(e.value.value.toString('utf8')) as { seq: number }).seq;

async function committed(groupId: string, topic: string): Promise<Record<number, string>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

describe('KafkaSource', () => {
  it('commits only up to the last contiguous ack per partition, and a restart resumes there', async () => {
    const topic = await topicWith(300, 'src-acks');
    const cfg = config(topic);
    const first = new KafkaSource({ config: cfg, kafka });
    const envs = await drain(first, { ack: false, chunk: 64 });
    expect(envs.map(seqOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // Ack in reverse order, holding back offset 40 of partition 1 and offset 70 of partition 2.
    const held = (e: Envelope<KafkaRawRecord>) =>
      (e.value.partition === 1 && e.value.offset === '40') || (e.value.partition === 2 && e.value.offset === '70');
    for (const e of [...envs].reverse()) if (!held(e)) e.ack();
    await first.close();
    expect(await committed(cfg.groupId, topic)).toEqual({ 0: '100', 1: '40', 2: '70' });

    const second = new KafkaSource({ config: cfg, kafka });
    const again = await drain(second);
    await second.close();
    const byPartition = (p: number) => again.filter((e) => e.value.partition === p).map((e) => Number(e.value.offset));
    expect(byPartition(0)).toEqual([]);
    expect(byPartition(1)).toEqual(Array.from({ length: 60 }, (_, i) => 40 + i));
    expect(byPartition(2)).toEqual(Array.from({ length: 30 }, (_, i) => 70 + i));
    expect(await committed(cfg.groupId, topic)).toEqual({ 0: '100', 1: '100', 2: '100' });
  });

  it('pauses the topic behind a sink that never acks, and never exceeds the credit', async () => {
    const topic = await topicWith(3000, 'src-backpressure');
    const source = new KafkaSource({
      config: config(topic, { once: false, queueHighWater: 100, queueLowWater: 20, maxBytesPerPartition: 4096 }),
      kafka,
    });
    expect(await expectCreditHeld(source, 10, 3000)).toBe(10);
    expect(source.isPaused).toBe(true);
    // The queue holds the high-water mark plus at most one fetch per partition, not the topic.
    expect(source.queued).toBeLessThan(300);
    expect(source.lag).toBeGreaterThan(2900);
    await source.close();
  });

  it('sends a poison message to <topic>.dlq with its context headers and goes on', async () => {
    const topic = uniqueTopic('src-dlq');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'P1', value: '{"eventId":"a","seq":1}' },
        { key: 'P2', value: 'this is not JSON', headers: { trace: 't-2' } },
        { key: 'P3', value: '{"eventId":"c","seq":3}' },
      ],
    });
    const source = new KafkaSource({ config: config(topic), kafka });
    const recorded: string[] = [];
    const inner: RejectSink = { reject: async (env, reason) => void recorded.push(`${reason}@${env.position.offset}`) };
    const reach = new Reachability(
      { component: 'sink:test.dlq', endpoint: 'kafka', setBy: 'test' },
      defaultConnectPolicy(),
    );
    const opened = await KafkaDlqRejectSink.open({
      kafka,
      brokers: kafkaBrokers(),
      reach,
      lookup: (p) => source.rawRecord(p),
      now: () => new Date('2024-01-02T03:04:05Z'),
    });
    const dlq = opened.over(inner);
    const parse = stage(
      'parse',
      (raw: KafkaRawRecord) => {
        try {
          return accept(JSON.parse(raw.value.toString('utf8')) as { seq: number });
        } catch (err) {
          return reject('MALFORMED_RECORD', `not JSON: ${(err as Error).message}`);
        }
      },
      { rejects: dlq },
    );
    const parsed: number[] = [];
    await lastValueFrom(
      fromPullSource(source, { maxInFlight: 10 }).pipe(
        parse,
        mergeMap(async (env) => {
          parsed.push(env.value.seq);
          env.ack();
        }),
      ),
      { defaultValue: undefined },
    );
    await source.close();
    await opened.close();
    expect(parsed).toEqual([1, 3]);
    expect(recorded).toEqual(['MALFORMED_RECORD@1']);
    expect(await committed(`${topic}-g`, topic)).toEqual({ 0: '3' });

    const dead = await readAll(dlqTopicOf(topic), 1);
    expect(dead[0]!.key).toBe('P2');
    expect(dead[0]!.value).toBe('this is not JSON');
    expect(dead[0]!.headers).toMatchObject({
      trace: 't-2',
      [dlqHeaders.reason]: 'MALFORMED_RECORD',
      [dlqHeaders.topic]: topic,
      [dlqHeaders.partition]: '0',
      [dlqHeaders.offset]: '1',
      [dlqHeaders.at]: '2024-01-02T03:04:05.000Z',
    });
    expect(dead[0]!.headers[dlqHeaders.detail]).toMatch(/^not JSON/);
  });

  it('re-delivers everything after a reset to earliest, and from a time after a reset to it', async () => {
    const topic = await topicWith(90, 'src-reset');
    const cfg = config(topic);
    const src = new KafkaSource({ config: cfg, kafka });
    expect(await drain(src)).toHaveLength(90);
    await src.close();
    const idle = new KafkaSource({ config: cfg, kafka });
    expect(await drain(idle)).toHaveLength(0);
    await idle.close();

    await resetGroupOffsets({ brokers: kafkaBrokers(), groupId: cfg.groupId, topic, to: 'earliest', kafka });
    const replay = new KafkaSource({ config: cfg, kafka });
    expect((await drain(replay)).map(seqOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    await replay.close();

    await new Promise((r) => setTimeout(r, 50));
    const at = new Date();
    await new Promise((r) => setTimeout(r, 50));
    await produce(topic, 90, 99);
    await resetGroupOffsets({ brokers: kafkaBrokers(), groupId: cfg.groupId, topic, to: at, kafka });
    const fromTime = new KafkaSource({ config: cfg, kafka });
    expect((await drain(fromTime)).map(seqOf).sort((a, b) => a - b)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98]);
    await fromTime.close();
  });

  it('refuses to reset the offsets of a group with an active member', async () => {
    const topic = await topicWith(10, 'src-refuse');
    const cfg = config(topic, { once: false });
    const running = new KafkaSource({ config: cfg, kafka });
    await take(running, 1);
    const attempt = resetGroupOffsets({ brokers: kafkaBrokers(), groupId: cfg.groupId, topic, to: 'earliest', kafka });
    await expect(attempt).rejects.toThrow(CrmUnifyError);
    await expect(attempt).rejects.toMatchObject({ code: 'USAGE' });
    await running.close();
  });

  it('ignores acks of records emitted before a rebalance and commits nothing for them', async () => {
    const topic = await topicWith(60, 'src-rebalance');
    const cfg = config(topic, { once: false });
    const a = new KafkaSource({ config: cfg, kafka });
    const early = await take(a, 60, 60);
    // A second member joins: a rebalances (eager protocol: everything revoked, then reassigned).
    const b = new KafkaSource({ config: cfg, kafka });
    const readingB = take(b, 1, 10, 30_000).catch(() => []);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && a.queued === 0) await a.read(0).then((r) => r.records.forEach((e) => e.ack()));
    for (const e of early) e.ack();
    await a.commit();
    expect(await committed(cfg.groupId, topic)).toEqual({ 0: '-1', 1: '-1', 2: '-1' });
    await readingB;
    await Promise.all([a.close(), b.close()]);
  });
});

async function readAll(
  topic: string,
  n: number,
): Promise<Array<{ key: string; value: string; headers: Record<string, string> }>> {
  const consumer = kafka.consumer({ groupId: uniqueTopic('dlq-reader') });
  const out: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        out.push({ key: String(message.key), value: String(message.value), headers });
        if (out.length >= n) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}
