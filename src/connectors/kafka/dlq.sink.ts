import { Partitioners, type Admin, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import type { Envelope, Position } from '../../core/envelope.js';
import type { Reachability } from '../../core/reachability.js';
import type { RejectSink } from '../../core/rejects.js';
import { scrub } from '../../core/secrets.js';
import type { RejectReason } from '../../model/reject-reasons.js';
import { probeBrokers } from './probe.js';
import type { KafkaRawRecord } from './record.js';
import { isTransientKafkaError } from './transient.js';

/** Headers a dead-lettered message carries besides its own (Kafka Connect's DLQ context, renamed). */
export const dlqHeaders = {
  reason: 'x-crm-unify-reason',
  detail: 'x-crm-unify-detail',
  topic: 'x-crm-unify-source-topic',
  partition: 'x-crm-unify-source-partition',
  offset: 'x-crm-unify-source-offset',
  at: 'x-crm-unify-at',
} as const;

export const dlqTopicOf = (topic: string): string => `${topic}.dlq`;

/** Characters of the reject detail kept in the DLQ header. */
const MAX_DETAIL = 1000;

export interface KafkaDlqRejectSinkOptions {
  /** Connected; sends wait for all in-sync replicas (acks -1) so "sent" means durable. */
  producer: Producer;
  /** Where every reject is recorded (the state store). */
  inner: RejectSink;
  /** The source's raw message for an envelope still in flight (`KafkaSource.rawRecord`). */
  lookup: (position: Position) => KafkaRawRecord | undefined;
  /** If given, each DLQ topic is created on first use (1 partition) when missing. */
  admin?: Admin;
  now?: () => Date;
}

export interface OpenKafkaDlqOptions {
  /** The client the source uses (one connection pool, one log route). */
  kafka: Kafka;
  brokers: readonly string[];
  /** The sink's outage policy: opening waits for the brokers as long as it says. */
  reach: Reachability;
  lookup: KafkaDlqRejectSinkOptions['lookup'];
  now?: () => Date;
}

/** An open DLQ producer: `over(inner)` makes the reject sink; `close()` disconnects it. */
export interface KafkaDlq {
  over(inner: RejectSink): KafkaDlqRejectSink;
  close(): Promise<void>;
}

/**
 * A RejectSink decorator for Kafka-sourced records: the original key and value go to
 * `<topic>.dlq` with the reason and source coordinates as headers, then the inner sink records the
 * reject. It resolves only when both are durable, and only then is the record acked; a crash in
 * between re-reads the record and dead-letters it again (at-least-once, like the source).
 * Envelopes that did not come from Kafka go to the inner sink only.
 */
export class KafkaDlqRejectSink implements RejectSink {
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(private readonly opts: KafkaDlqRejectSinkOptions) {}

  /**
   * Connects an idempotent producer (one in flight, so retries keep the order) and an admin for
   * the DLQ topics, waiting for the brokers under `reach`: the DLQ is a sink of its own.
   */
  static async open(opts: OpenKafkaDlqOptions): Promise<KafkaDlq> {
    const producer = opts.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const admin = opts.kafka.admin();
    await opts.reach.attempt(async () => {
      await probeBrokers(opts.brokers);
      await Promise.all([producer.connect(), admin.connect()]);
    }, isTransientKafkaError);
    return {
      over: (inner) =>
        new KafkaDlqRejectSink({ producer, admin, inner, lookup: opts.lookup, ...(opts.now && { now: opts.now }) }),
      close: async () => {
        await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      },
    };
  }

  async reject(env: Envelope<unknown>, reason: RejectReason, detail: string, sourceId?: string | null): Promise<void> {
    const raw = this.opts.lookup(env.position);
    if (raw) {
      const topic = dlqTopicOf(raw.topic);
      await this.ensureTopic(topic);
      await this.opts.producer.send({
        topic,
        acks: -1,
        messages: [
          { key: raw.key, value: raw.tombstone ? null : raw.value, headers: this.headers(raw, reason, detail) },
        ],
      });
    }
    await this.opts.inner.reject(env, reason, detail, sourceId);
  }

  private headers(raw: KafkaRawRecord, reason: RejectReason, detail: string): IHeaders {
    return {
      ...raw.headers,
      [dlqHeaders.reason]: reason,
      // Bounded: a detail quoting a huge field would make the DLQ record too large for the broker.
      [dlqHeaders.detail]: scrub(detail).slice(0, MAX_DETAIL),
      [dlqHeaders.topic]: raw.topic,
      [dlqHeaders.partition]: String(raw.partition),
      [dlqHeaders.offset]: raw.offset,
      [dlqHeaders.at]: (this.opts.now?.() ?? new Date()).toISOString(),
    };
  }

  private ensureTopic(topic: string): Promise<void> {
    const admin = this.opts.admin;
    if (!admin) return Promise.resolve();
    let p = this.ensured.get(topic);
    if (!p) {
      // createTopics resolves false when the topic exists already; that is fine.
      p = admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).then(() => undefined);
      p.catch(() => this.ensured.delete(topic));
      this.ensured.set(topic, p);
    }
    return p;
  }
}
