import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Envelope, Position } from '../../core/envelope.js';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { withRetry } from '../../core/retry.js';
import type { PullSource, ReadResult } from '../../core/pull-source.js';
import type { Reachability } from '../../core/reachability.js';
import { createKafkaClient } from './client.js';
import { probeBrokers } from './probe.js';
import type { KafkaSourceConfig } from './config.js';
import { FetchQueue, type Queued } from './fetch-queue.js';
import { OffsetBook } from './offset-book.js';
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

/**
 * Shop B's topic as a pull source: a supervisor of one kafkajs consumer. kafkajs pushes fetched
 * batches into `eachBatch`; they land in the FetchQueue (bounded: it pauses the topic) that
 * `read()` drains under the runtime's credit. The OffsetBook keeps the positions: what is
 * committed, every `commitIntervalMs` and on close, is per partition the offset after the last
 * record whose every predecessor is acked. The committed group offsets are the source position;
 * a new group starts from earliest. kafkajs' auto-resolve and auto-commit are off: a batch is
 * "resolved" as soon as it is queued (that only moves kafkajs' fetch pointer).
 *
 * Rebalance: a group join opens a new generation of the queue and resets the book; acks of
 * records emitted before it are ignored (their partitions are re-read by whoever owns them).
 * Restarts: a consumer that kafkajs gives up on after a transient failure is replaced, as long
 * as the outage policy allows (without one, MAX_RESTARTS times).
 */
const MAX_RESTARTS = 30;

export class KafkaSource implements PullSource<KafkaRawRecord> {
  readonly name: string;
  private readonly config: KafkaSourceConfig;
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private readonly reach: Reachability | undefined;
  private readonly queue: FetchQueue;
  private readonly book: OffsetBook;
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;
  private readonly inFlight = new Map<string, KafkaRawRecord>();
  private crash: unknown;
  private restarts = 0;
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: KafkaSourceOptions) {
    this.config = opts.config;
    this.name = `kafka:${opts.config.topic}`;
    this.kafka = opts.kafka ?? createKafkaClient(opts.config.brokers, opts.config.clientId, opts.log);
    this.log = opts.log ?? silentLogger;
    this.reach = opts.reach;
    this.queue = new FetchQueue(opts.config.queueHighWater, opts.config.queueLowWater);
    this.book = new OffsetBook(opts.config.topic);
  }

  /** Messages not yet committed, summed over partitions (from the fetches' high watermarks). */
  get lag(): number {
    return this.book.lag;
  }

  /** Whether fetching is paused because the queue is full. */
  get isPaused(): boolean {
    return this.queue.isPaused;
  }

  /** Records fetched and waiting for credit. */
  get queued(): number {
    return this.queue.queued;
  }

  /** The raw message behind an emitted, not yet settled envelope (the DLQ needs key and value). */
  rawRecord(position: Position): KafkaRawRecord | undefined {
    return this.inFlight.get(`${position.partition}@${position.offset}`);
  }

  async read(max: number): Promise<ReadResult<KafkaRawRecord>> {
    await (this.starting ??= this.startWhenReachable());
    this.throwIfCrashed();
    if (this.queue.queued === 0 && !this.drained() && !this.closed) await this.queue.wait(this.config.maxWaitMs);
    this.throwIfCrashed();
    const records = this.queue.take(max).map((q) => this.envelope(q));
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
    this.queue.wake();
    await this.starting?.catch(() => {});
    await this.commit();
    await this.consumer?.disconnect();
  }

  /** Starts the consumer, waiting for the brokers under the outage policy when there is one. */
  private startWhenReachable(): Promise<void> {
    if (!this.reach) return this.start();
    return this.reach.attempt(
      async () => {
        await probeBrokers(this.config.brokers);
        await this.start();
      },
      (err) => !this.closed && isTransientKafkaError(err),
    );
  }

  /** One attempt; a failed one leaves no consumer behind. */
  private async start(): Promise<void> {
    try {
      await this.startOnce();
    } catch (err) {
      clearInterval(this.timer);
      const consumer = this.consumer;
      this.setConsumer(undefined);
      await consumer?.disconnect().catch(() => {});
      throw err;
    }
  }

  private setConsumer(consumer: Consumer | undefined): void {
    this.consumer = consumer;
    const topics = [{ topic: this.config.topic }];
    this.queue.attach(consumer && { pause: () => consumer.pause(topics), resume: () => consumer.resume(topics) });
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
    this.setConsumer(consumer);
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
        this.queue.wake();
        return;
      }
      if (!e.payload.restart) {
        if (transient && (this.reach || this.restarts < MAX_RESTARTS)) this.scheduleRestart(e.payload.error, waitMs);
        else this.crash = e.payload.error;
      }
      this.queue.wake();
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
      const retry = {
        retries: 10,
        baseMs: 200,
        maxMs: 3000,
        retriable: (e: unknown) => (e as { retriable?: boolean }).retriable === true,
      };
      const [committed] = await withRetry(
        () => admin.fetchOffsets({ groupId: this.config.groupId, topics: [this.config.topic] }),
        retry,
      );
      const range = await withRetry(() => admin.fetchTopicOffsets(this.config.topic), retry);
      this.book.load(committed?.partitions ?? [], range, this.config.once);
    } finally {
      await admin.disconnect();
    }
  }

  private scheduleRestart(err: unknown, policyWaitMs?: number): void {
    this.restarts++;
    const waitMs = policyWaitMs ?? Math.min(10_000, 500 * 2 ** this.restarts);
    // With a policy, the outage is logged (rate-limited) by it; a line per restart would repeat it.
    if (!this.reach)
      this.log.warn(
        { topic: this.config.topic, attempt: this.restarts, waitMs, err: errorMessage(err) },
        'kafka source: consumer stopped, restarting',
      );
    clearInterval(this.timer);
    const old = this.consumer;
    this.setConsumer(undefined);
    this.starting = (async () => {
      await old?.disconnect().catch(() => {});
      if (this.reach) await this.reach.wait(waitMs);
      else await new Promise((r) => setTimeout(r, waitMs));
      if (!this.closed) await this.startWhenReachable();
    })();
    this.starting.catch((e: unknown) => {
      this.crash ??= e;
      this.queue.wake();
    });
  }

  private onJoin(partitions: number[]): void {
    // kafkajs re-fetches each assigned partition from its committed offset after a join, so
    // nothing queued or tracked in the previous generation may be emitted or committed.
    const generation = this.queue.rebalance(partitions);
    this.book.reset();
    this.log.info({ topic: this.config.topic, partitions, generation }, 'kafka source: partitions assigned');
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    if (this.closed || !this.queue.owns(p) || isStale() || batch.messages.length === 0) return;
    this.queue.push(
      p,
      batch.messages.map((m) => ({
        topic: batch.topic,
        partition: p,
        offset: m.offset,
        key: m.key ?? null,
        value: m.value ?? Buffer.alloc(0),
        tombstone: m.value === null,
        headers: m.headers ?? {},
        timestamp: m.timestamp,
      })),
    );
    // Only moves kafkajs' fetch pointer past what is queued; commits are ours.
    resolveOffset(batch.lastOffset());
    this.book.fetched(p, batch.lastOffset(), batch.highWatermark);
    await heartbeat();
  }

  private envelope({ record, generation }: Queued): Envelope<KafkaRawRecord> {
    const name = partitionName(record.topic, record.partition);
    const offset = BigInt(record.offset);
    const key = `${name}@${offset}`;
    this.book.track(record.partition, offset);
    this.inFlight.set(key, record);
    return {
      value: record,
      position: { partition: name, offset },
      source: record.topic,
      ack: () => {
        this.inFlight.delete(key);
        // Emitted before a rebalance: the partition is re-read from its committed offset.
        if (generation === this.queue.generation) this.book.ack(record.partition, offset);
      },
      // The slot stays un-acked, so no commit passes it and a restart reads it again.
      nack: () => void this.inFlight.delete(key),
    };
  }

  private async commitOnce(): Promise<void> {
    if (!this.consumer) return;
    const generation = this.queue.generation;
    const offsets = this.book.toCommit((p) => this.queue.owns(p));
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      this.book.committed(offsets);
    } catch (err) {
      // Typically a rebalance in progress; the next tick retries whatever this generation still owns.
      if (generation === this.queue.generation) this.book.failed(offsets);
      this.log.warn({ err: errorMessage(err), topic: this.config.topic }, 'kafka source: offset commit failed');
    }
  }

  /** `--once`: every partition consumed up to the end offsets recorded at start, queue empty. */
  private drained(): boolean {
    return this.queue.queued === 0 && this.book.reachedEnd();
  }

  private throwIfCrashed(): void {
    if (this.crash !== undefined) {
      if (this.crash instanceof CrmUnifyError && this.crash.code === 'SERVICE_UNAVAILABLE') throw this.crash;
      throw new CrmUnifyError(
        'SOURCE_READ_FAILED',
        `kafka consumer of ${this.config.topic} stopped: ${errorMessage(this.crash)}`,
        { cause: this.crash },
      );
    }
  }
}
