import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Envelope, Position } from '../../core/envelope.js';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { OrderedAcks } from '../../core/ordered-acks.js';
import { withRetry } from '../../core/retry.js';
import type { PullSource, ReadResult } from '../../core/pull-source.js';
import type { Reachability } from '../../core/reachability.js';
import { createKafkaClient } from './client.js';
import { probeBrokers } from './probe.js';
import type { KafkaSourceConfig } from './config.js';
import { partitionName, type KafkaRawRecord } from './record.js';
import { isTransientKafkaError } from './transient.js';

export interface KafkaSourceOptions {
  config: KafkaSourceConfig;
  /** A shared client; one is made from `config.brokers` otherwise. */
  kafka?: Kafka;
  log?: Logger;
  /**
   * The service's outage policy for the brokers: the first connect and every consumer restart
   * wait for them as long as it says. Without one, restarts are bounded (MAX_RESTARTS).
   */
  reach?: Reachability;
}

interface Queued {
  readonly record: KafkaRawRecord;
  /** The group generation it was fetched in: a rebalance invalidates everything older. */
  readonly generation: number;
}

/**
 * Shop B's topic as a pull source. kafkajs pushes fetched batches into `eachBatch`; they land in
 * a bounded queue that `read()` drains under the runtime's credit. The queue is the only buffer:
 * above `queueHighWater` the topic is paused, and it is resumed once reads bring it down to
 * `queueLowWater` — so a slow pipeline slows the fetches instead of growing memory.
 *
 * Offsets: kafkajs' auto-resolve and auto-commit are off. A batch is "resolved" as soon as it is
 * queued (that only moves kafkajs' fetch pointer); what is *committed* is, per partition, the
 * offset after the last record whose every predecessor is acked, every `commitIntervalMs` and on
 * close. The committed group offsets are the source position; a new group starts from earliest.
 *
 * Rebalance: after a group join kafkajs fetches every assigned partition again from its
 * committed offset, so the queue and the ack trackers of the old generation are dropped; acks of
 * records emitted before it are ignored (their partitions are re-read by whoever owns them).
 */
const MAX_RESTARTS = 30;

/** Re-exported for callers that still import it from here (it lives in transient.ts). */
export { isTransientKafkaError };

export class KafkaSource implements PullSource<KafkaRawRecord> {
  readonly name: string;
  private readonly config: KafkaSourceConfig;
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private readonly reach: Reachability | undefined;
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;
  private queue: Queued[] = [];
  private head = 0;
  private generation = 0;
  private assigned = new Set<number>();
  private acks = new OrderedAcks();
  private readonly dirty = new Set<number>();
  private readonly lastQueued = new Map<number, bigint>();
  private readonly fetchedTo = new Map<number, bigint>();
  private readonly highWatermarks = new Map<number, bigint>();
  private readonly committedNext = new Map<number, bigint>();
  private readonly lowOffsets = new Map<number, bigint>();
  private endOffsets: Map<number, bigint> | undefined;
  private readonly inFlight = new Map<string, KafkaRawRecord>();
  private paused = false;
  private crash: unknown;
  private restarts = 0;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: KafkaSourceOptions) {
    this.config = opts.config;
    this.name = `kafka:${opts.config.topic}`;
    this.kafka = opts.kafka ?? createKafkaClient(opts.config.brokers, opts.config.clientId, opts.log);
    this.log = opts.log ?? silentLogger;
    this.reach = opts.reach;
  }

  /** Messages not yet committed, summed over partitions (from the fetches' high watermarks). */
  get lag(): number {
    let lag = 0n;
    for (const [p, hw] of this.highWatermarks) {
      const c = this.acks.committable(partitionName(this.config.topic, p));
      const start = this.lowOffsets.get(p) ?? 0n;
      const position = [this.committedNext.get(p), c && c.offset + 1n].reduce<bigint>((a, b) => (b !== undefined && b > a ? b : a), start);
      if (hw > position) lag += hw - position;
    }
    return Number(lag);
  }

  /** Whether fetching is paused because the queue is full. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Records fetched and waiting for credit. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** The raw message behind an emitted, not yet settled envelope (the DLQ needs key and value). */
  rawRecord(position: Position): KafkaRawRecord | undefined {
    return this.inFlight.get(`${position.partition}@${position.offset}`);
  }

  async read(max: number): Promise<ReadResult<KafkaRawRecord>> {
    await (this.starting ??= this.startWhenReachable());
    this.throwIfCrashed();
    if (this.queued === 0 && !this.drained() && !this.closed) await this.waitForRecords(this.config.maxWaitMs);
    this.throwIfCrashed();
    const records: Envelope<KafkaRawRecord>[] = [];
    while (records.length < max && this.head < this.queue.length) {
      const q = this.queue[this.head++]!;
      if (q.generation === this.generation) records.push(this.envelope(q));
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.queued <= this.config.queueLowWater && this.consumer) {
      this.consumer.resume([{ topic: this.config.topic }]);
      this.paused = false;
    }
    return { records, done: this.closed || this.drained() };
  }

  /** Commits what is committable now (also runs on a timer and on close). */
  commit(): Promise<void> {
    this.committing = this.committing.then(() => this.commitOnce());
    return this.committing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.reach?.cancel();
    this.wake?.();
    await this.starting?.catch(() => {});
    await this.commit();
    await this.consumer?.disconnect();
  }

  /** Starts the consumer, waiting for the brokers under the outage policy when there is one. */
  private startWhenReachable(): Promise<void> {
    if (!this.reach) return this.start();
    return this.reach.attempt(async () => {
      await probeBrokers(this.config.brokers);
      await this.start();
    }, (err) => !this.closed && isTransientKafkaError(err));
  }

  /** One attempt; a failed one leaves no consumer behind. */
  private async start(): Promise<void> {
    try {
      await this.startOnce();
    } catch (err) {
      clearInterval(this.timer);
      const consumer = this.consumer;
      this.consumer = undefined;
      await consumer?.disconnect().catch(() => {});
      throw err;
    }
  }

  private async startOnce(): Promise<void> {
    const { topic, groupId } = this.config;
    await this.loadOffsets();
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.config.sessionTimeoutMs,
      maxBytesPerPartition: this.config.maxBytesPerPartition,
      // The broker's long-poll time; stopping the consumer waits for the fetch in progress.
      maxWaitTimeInMs: this.config.maxWaitMs,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.restarts = 0;
      this.reach?.up();
      this.onJoin(e.payload.memberAssignment[topic] ?? []);
    });
    // A fetch that returns means the brokers answer again (kafkajs reconnects on its own).
    consumer.on(consumer.events.FETCH, () => {
      if (this.reach?.isDown) this.reach.up();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts itself after retriable failures (and rejoins). A broker that is down
      // for a while ends in errors kafkajs calls final (coordinator not found, connection
      // refused): the source restarts the consumer itself, as long as the outage policy allows
      // (without one, a bounded number of times).
      const transient = !this.closed && isTransientKafkaError(e.payload.error);
      let waitMs: number | undefined;
      try {
        if (transient && this.reach) waitMs = this.reach.down(e.payload.error);
      } catch (giveUp) {
        this.crash = giveUp;
        this.wake?.();
        return;
      }
      if (!e.payload.restart) {
        if (transient && (this.reach || this.restarts < MAX_RESTARTS)) this.scheduleRestart(e.payload.error, waitMs);
        else this.crash = e.payload.error;
      }
      this.wake?.();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (b) => this.onBatch(b) });
    this.timer = setInterval(() => void this.commit(), this.config.commitIntervalMs);
    this.timer.unref();
  }

  /**
   * The group's committed offsets and the topic's offset range (lag from the start; `--once`
   * takes the end offsets as its goal). Retried: a fresh broker answers "coordinator loading".
   */
  private async loadOffsets(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const retry = { retries: 10, baseMs: 200, maxMs: 3000, retriable: (e: unknown) => (e as { retriable?: boolean }).retriable === true };
      const [committed] = await withRetry(() => admin.fetchOffsets({ groupId: this.config.groupId, topics: [this.config.topic] }), retry);
      for (const { partition, offset } of committed?.partitions ?? []) {
        if (Number(offset) >= 0) this.committedNext.set(partition, BigInt(offset));
      }
      const ends = await withRetry(() => admin.fetchTopicOffsets(this.config.topic), retry);
      for (const e of ends) {
        this.lowOffsets.set(e.partition, BigInt(e.low));
        this.highWatermarks.set(e.partition, BigInt(e.high));
      }
      if (this.config.once) this.endOffsets = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  private scheduleRestart(err: unknown, policyWaitMs?: number): void {
    this.restarts++;
    const waitMs = policyWaitMs ?? Math.min(10_000, 500 * 2 ** this.restarts);
    // With a policy, the outage is logged (rate-limited) by it; a line per restart would repeat it.
    if (!this.reach) this.log.warn({ topic: this.config.topic, attempt: this.restarts, waitMs, err: errorMessage(err) }, 'kafka source: consumer stopped, restarting');
    clearInterval(this.timer);
    const old = this.consumer;
    this.consumer = undefined;
    this.starting = (async () => {
      await old?.disconnect().catch(() => {});
      if (this.reach) await this.reach.wait(waitMs);
      else await new Promise((r) => setTimeout(r, waitMs));
      if (!this.closed) await this.startWhenReachable();
    })();
    this.starting.catch((e: unknown) => {
      this.crash ??= e;
      this.wake?.();
    });
  }

  private onJoin(partitions: number[]): void {
    // kafkajs re-fetches each assigned partition from its committed offset after a join, so
    // nothing queued or tracked in the previous generation may be emitted or committed.
    this.generation++;
    this.assigned = new Set(partitions);
    this.queue = [];
    this.head = 0;
    this.acks = new OrderedAcks();
    this.dirty.clear();
    this.lastQueued.clear();
    this.fetchedTo.clear();
    if (this.paused && this.consumer) {
      this.consumer.resume([{ topic: this.config.topic }]);
      this.paused = false;
    }
    this.log.info({ topic: this.config.topic, partitions, generation: this.generation }, 'kafka source: partitions assigned');
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    if (this.closed || !this.assigned.has(p) || isStale() || batch.messages.length === 0) return;
    let last = this.lastQueued.get(p) ?? -1n;
    for (const m of batch.messages) {
      const offset = BigInt(m.offset);
      // A batch fetched before a join can arrive after it: never queue an offset twice.
      if (offset <= last) continue;
      last = offset;
      this.queue.push({
        generation: this.generation,
        record: {
          topic: batch.topic, partition: p, offset: m.offset, key: m.key ?? null, value: m.value ?? Buffer.alloc(0),
          tombstone: m.value === null, headers: m.headers ?? {}, timestamp: m.timestamp,
        },
      });
    }
    this.lastQueued.set(p, last);
    // Only moves kafkajs' fetch pointer past what is queued; commits are ours.
    resolveOffset(batch.lastOffset());
    this.fetchedTo.set(p, BigInt(batch.lastOffset()) + 1n);
    this.highWatermarks.set(p, BigInt(batch.highWatermark));
    if (!this.paused && this.queued >= this.config.queueHighWater && this.consumer) {
      this.consumer.pause([{ topic: this.config.topic }]);
      this.paused = true;
    }
    this.wake?.();
    await heartbeat();
  }

  private envelope({ record, generation }: Queued): Envelope<KafkaRawRecord> {
    const name = partitionName(record.topic, record.partition);
    const offset = BigInt(record.offset);
    const key = `${name}@${offset}`;
    this.acks.track(name, offset);
    this.inFlight.set(key, record);
    return {
      value: record,
      position: { partition: name, offset },
      source: record.topic,
      ack: () => {
        this.inFlight.delete(key);
        // Emitted before a rebalance: the partition is re-read from its committed offset.
        if (generation !== this.generation) return;
        if (this.acks.ack(name, offset)) this.dirty.add(record.partition);
      },
      // The slot stays un-acked, so no commit passes it and a restart reads it again.
      nack: () => void this.inFlight.delete(key),
    };
  }

  private async commitOnce(): Promise<void> {
    if (!this.consumer || this.dirty.size === 0) return;
    const generation = this.generation;
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const p of this.dirty) {
      const c = this.acks.committable(partitionName(this.config.topic, p));
      if (!this.assigned.has(p) || !c) continue;
      const next = c.offset + 1n;
      if ((this.committedNext.get(p) ?? -1n) < next) offsets.push({ topic: this.config.topic, partition: p, offset: next.toString() });
    }
    this.dirty.clear();
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const o of offsets) this.committedNext.set(o.partition, BigInt(o.offset));
    } catch (err) {
      // Typically a rebalance in progress; the next tick retries whatever this generation still owns.
      if (generation === this.generation) for (const o of offsets) this.dirty.add(o.partition);
      this.log.warn({ err: errorMessage(err), topic: this.config.topic }, 'kafka source: offset commit failed');
    }
  }

  /** `--once`: every partition consumed up to the end offsets recorded at start, queue empty. */
  private drained(): boolean {
    if (!this.endOffsets || this.queued > 0) return false;
    for (const [p, end] of this.endOffsets) {
      const position = this.fetchedTo.get(p) ?? this.committedNext.get(p) ?? this.lowOffsets.get(p) ?? 0n;
      if (position < end) return false;
    }
    return true;
  }

  private waitForRecords(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private throwIfCrashed(): void {
    if (this.crash !== undefined) {
      if (this.crash instanceof CrmUnifyError && this.crash.code === 'SERVICE_UNAVAILABLE') throw this.crash;
      throw new CrmUnifyError('SOURCE_READ_FAILED', `kafka consumer of ${this.config.topic} stopped: ${errorMessage(this.crash)}`, { cause: this.crash });
    }
  }
}
