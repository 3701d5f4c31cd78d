// Poison messages on a real broker: ~200 good Shop B events and ~50 poison ones (random bytes,
// wrong schema, ~900 KB, 10 000 levels deep, windows-1251, truncated) on a fresh topic, consumed
// by the real KafkaSource through the real map stage with the real KafkaDlqRejectSink over an
// in-memory inner sink. Every poison message must land in `<topic>.dlq` with its reason header,
// every good one must be mapped, and the group's offsets must be committed to the end.
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { lastValueFrom, mergeMap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaSourceConfigSchema } from '../../src/connectors/kafka/config.js';
import { dlqHeaders, dlqTopicOf, KafkaDlqRejectSink } from '../../src/connectors/kafka/dlq.sink.js';
import { KafkaSource } from '../../src/connectors/kafka/kafka.source.js';
import type { KafkaRawRecord } from '../../src/connectors/kafka/record.js';
import { fromPullSource } from '../../src/core/pull-source.js';
import type { RejectSink } from '../../src/core/rejects.js';
import { mapPartner } from '../../src/mappers/index.js';
import { rejectReasons, type RejectReason } from '../../src/model/reject-reasons.js';
import { mapStage } from '../../src/pipeline/stages/map.stage.js';
import { mapShopBMessage } from '../../topologies/mappers.js';
import { kafkaBrokers, testKafka, uniqueTopic } from '../support/inject.js';
import { SEED, dataset, deepJson, mutated } from './harness.js';

let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  kafka = testKafka('kafka-poison-fuzz');
  admin = kafka.admin();
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([admin.connect(), producer.connect()]);
});
afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
});

const okPartners = dataset.shopB.dump.filter((p) => mapPartner(p).ok);
const event = (partner: unknown, n: number) =>
  JSON.stringify({ eventId: `good-${n}`, type: 'PARTNER_UPSERT', occurredAt: '2024-05-01T00:00:00Z', partner });

interface Msg {
  key: string;
  value: Buffer;
  poison: boolean;
  kind: string;
}

function poisonMessages(n: number): Msg[] {
  const goodEvent = JSON.parse(event(okPartners[0], 0)) as unknown;
  const kinds: fc.Arbitrary<{ kind: string; value: Buffer }>[] = [
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ kind: 'random bytes', value: Buffer.from(b) })),
    // Random bytes that happen to be valid JSON are not poison in the byte sense; keep them anyway:
    // anything but a schema-valid event must be rejected.
    fc
      .jsonValue({ maxDepth: 3 })
      .map((v) => ({ kind: 'random JSON', value: Buffer.from(JSON.stringify(v) ?? 'null') })),
    mutated(
      [goodEvent],
      fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.constant({})),
    )
      // A mutation deep in an optional field can leave a valid event; such a sample is skipped below.
      .map((m) => ({ kind: 'wrong schema', value: Buffer.from(JSON.stringify(m.value)) })),
    fc
      .constantFrom('array', 'object')
      .map((k) => ({ kind: 'deeply nested', value: Buffer.from(deepJson(10_000, k as 'array' | 'object')) })),
    fc.nat(900_000).map((len) => ({ kind: 'huge', value: Buffer.from(`{"eventId":"${'x'.repeat(100_000 + len)}`) })),
    fc
      .constantFrom(...okPartners.slice(0, 20))
      .map((p) => ({ kind: 'windows-1251', value: iconv.encode(event(p, 1), 'win1251') })),
    fc.tuple(fc.constantFrom(...okPartners.slice(0, 20)), fc.nat()).map(([p, cut]) => {
      const text = Buffer.from(event(p, 2));
      return { kind: 'truncated', value: text.subarray(0, 1 + (cut % (text.length - 1))) };
    }),
  ];
  const samples = fc.sample(fc.oneof(...kinds), { seed: SEED, numRuns: n * 2 });
  const poison = samples.filter((s) => !mapShopBMessage({ value: s.value, tombstone: false }).ok).slice(0, n);
  expect(poison).toHaveLength(n);
  return poison.map((s, i) => ({ key: `poison-${i}`, value: s.value, poison: true, kind: s.kind }));
}

function goodMessages(n: number): Msg[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `good-${i}`,
    value: Buffer.from(event(okPartners[i % okPartners.length], i)),
    poison: false,
    kind: 'good',
  }));
}

async function readDlq(
  topic: string,
  n: number,
  timeoutMs = 60_000,
): Promise<Array<{ key: string; headers: Record<string, string>; size: number }>> {
  const consumer = kafka.consumer({ groupId: uniqueTopic('dlq-reader') });
  const out: Array<{ key: string; headers: Record<string, string>; size: number }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${out.length} of ${n} DLQ messages within ${timeoutMs} ms`)),
      timeoutMs,
    );
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        out.push({ key: String(message.key), headers, size: message.value?.length ?? 0 });
        if (out.length >= n) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Runs the topic through KafkaSource → map stage (DLQ sink) → ack, until drained (`once`). */
async function consume(topic: string) {
  const source = new KafkaSource({
    config: KafkaSourceConfigSchema.parse({
      brokers: kafkaBrokers(),
      topic,
      groupId: `${topic}-g`,
      once: true,
      commitIntervalMs: 200,
      maxWaitMs: 200,
      sessionTimeoutMs: 10_000,
    }),
    kafka,
  });
  const inner: Array<{ reason: RejectReason; offset: string; partition: string }> = [];
  const innerSink: RejectSink = {
    reject: async (env, reason) =>
      void inner.push({ reason, offset: String(env.position.offset), partition: env.position.partition }),
  };
  const dlq = new KafkaDlqRejectSink({ producer, admin, inner: innerSink, lookup: (p) => source.rawRecord(p) });
  const mapped: string[] = [];
  try {
    await lastValueFrom(
      fromPullSource<KafkaRawRecord>(source, { maxInFlight: 50 }).pipe(
        mapStage(mapShopBMessage, { rejects: dlq }),
        mergeMap(async (env) => {
          if (env.value.kind === 'company') mapped.push(env.value.company.sourceId);
          env.ack();
        }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    await source.close();
  }
  return { inner, mapped };
}

describe('Kafka poison messages on a real broker', () => {
  it('dead-letters every poison message with its reason, maps every good one, commits to the end', async () => {
    const topic = uniqueTopic('fuzz-poison');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const good = goodMessages(200);
    const poison = poisonMessages(50);
    // Interleave deterministically: a poison message after every fourth good one.
    const all: Msg[] = [];
    good.forEach((g, i) => {
      all.push(g);
      if (i % 4 === 3 && poison[i >> 2]) all.push(poison[i >> 2]!);
    });
    expect(all).toHaveLength(250);
    // Small messages in batches of 20; a message near the 1 MB limit goes alone (the limit is per batch).
    let batch: Msg[] = [];
    const flush = async () => {
      if (batch.length)
        await producer.send({ topic, acks: -1, messages: batch.map((m) => ({ key: m.key, value: m.value })) });
      batch = [];
    };
    for (const m of all) {
      if (m.value.length > 50_000) {
        await flush();
        await producer.send({ topic, acks: -1, messages: [{ key: m.key, value: m.value }] });
      } else if (batch.push(m) >= 20) await flush();
    }
    await flush();

    const { inner, mapped } = await consume(topic);

    // Every good one mapped (in some order across partitions), none rejected.
    expect(mapped).toHaveLength(200);
    expect(new Set(mapped)).toEqual(new Set(good.map((_, i) => okPartners[i % okPartners.length]!.partnerId)));
    // Every poison one rejected once, reason-coded, into the inner sink and the DLQ.
    expect(inner).toHaveLength(50);
    for (const r of inner) expect(rejectReasons).toContain(r.reason);
    const dead = await readDlq(dlqTopicOf(topic), 50);
    expect(dead.map((d) => d.key).sort()).toEqual(poison.map((p) => p.key).sort());
    const byKey = new Map(poison.map((p) => [p.key, p]));
    for (const d of dead) {
      const p = byKey.get(d.key)!;
      expect(['MALFORMED_RECORD', 'BAD_ENCODING'], `${p.kind}: ${d.headers[dlqHeaders.reason]}`).toContain(
        d.headers[dlqHeaders.reason],
      );
      if (p.kind === 'windows-1251') expect(d.headers[dlqHeaders.reason]).toBe('BAD_ENCODING');
      expect(d.headers[dlqHeaders.topic]).toBe(topic);
      expect(d.headers[dlqHeaders.detail]!.length).toBeGreaterThan(0);
      expect(d.size).toBe(p.value.length); // the original value, byte for byte
    }
    const kinds = new Map<string, number>();
    for (const p of poison) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
    console.log(
      `[fuzz] kafka poison seed=${SEED}: 200 good + 50 poison (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`,
    );

    // Offsets committed to the end of every partition.
    const [committed] = await admin.fetchOffsets({ groupId: `${topic}-g`, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const committedBy = Object.fromEntries((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
    expect(committedBy).toEqual(Object.fromEntries(ends.map((e) => [e.partition, e.high])));
  });

  // Regression test for a fixed bug (src/connectors/kafka/dlq.sink.ts:62, headers): the reject detail goes into the
  // `x-crm-unify-detail` header uncut, and checkInn (src/mappers/build.ts:29) quotes the whole raw
  // INN in it. A ~600 KB event whose INN is a 600 KB string makes a DLQ record of value + header
  // ≈ 1.2 MB, over the broker's default 1 MB limit: producer.send fails (MESSAGE_TOO_LARGE), the
  // reject never becomes durable, the topology fails, and a restart hits the same message again —
  // a poison pill the DLQ was meant to absorb. (The state store's sink cuts details at 2 000.)
  it('an event with a 600 KB INN string is dead-lettered (its detail header is bounded)', async () => {
    const topic = uniqueTopic('fuzz-poison-inn');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const partner = { ...okPartners[0]!, taxNumbers: [{ type: 'INN', value: '1'.repeat(600_000) }] };
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'big-inn', value: event(partner, 9) },
        { key: 'after', value: event(okPartners[1], 10) },
      ],
    });
    const { inner, mapped } = await consume(topic);
    expect(inner.map((r) => r.reason)).toEqual(['INVALID_INN']);
    expect(mapped).toEqual([okPartners[1]!.partnerId]);
  });
});
