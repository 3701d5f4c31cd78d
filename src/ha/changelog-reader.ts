import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { CrmUnifyError, errorMessage } from '../core/errors.js';
import { assertChangelogTopic, changelogEnd } from './changelog-topic.js';

export interface ReaderOptions {
  kafka: Kafka;
  topic: string;
  /** Hand over once this many messages are buffered; default 5 000. */
  batchMessages?: number;
  /** …or once the oldest buffered message waited this long; default 100 ms. */
  batchMs?: number;
  /** Bytes per fetch (one partition); default 16 MB. */
  fetchBytes?: number;
  /** Called once when reading fails (the sink, an unreadable message, the consumer). */
  onError?: (err: unknown) => void;
  /** Called with the key and value bytes of every batch read (a restore's MB/s). */
  onBytes?: (bytes: number) => void;
}

/** Where the reader hands committed messages, in changelog order, one call at a time. */
export type ApplyMessages = (messages: readonly KafkaMessage[], lastOffset: string) => Promise<void>;

/**
 * Reads the changelog's committed messages from an offset on and hands them over in batches.
 * No consumer-group offsets are used: each reader joins a group of its own and seeks; kafkajs
 * reads read_committed by default, so aborted transactions and markers never reach `apply`.
 *
 * Where it is: the consumer's position (the next offset it reads) moves past data, aborted data
 * and transaction markers alike. A commit marker follows the last data message of every
 * transaction, so the offset of the last message handed over cannot say "at the end"; the
 * position can, and `reached(target)` waits for it, and for what was read to be applied.
 */
export class ChangelogReader {
  private readonly batchMessages: number;
  private readonly batchMs: number;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private position = 0n;
  /** The offset after the last message handed to the buffer. */
  private next = 0n;
  private highWatermark = 0n;
  private buffer: KafkaMessage[] = [];
  private timer: NodeJS.Timeout | null = null;
  private applying: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private waiters: Array<{ target: bigint; resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(
    private readonly opts: ReaderOptions,
    private readonly apply: ApplyMessages,
  ) {
    this.batchMessages = opts.batchMessages ?? 5_000;
    this.batchMs = opts.batchMs ?? 100;
  }

  /** Checks the topic and returns its end (the last stable offset) without reading. */
  async open(): Promise<bigint> {
    this.admin = this.opts.kafka.admin();
    await this.admin.connect();
    try {
      await assertChangelogTopic(this.admin, this.opts.topic);
      this.highWatermark = await this.end();
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
    return this.highWatermark;
  }

  /** Starts reading at `from` (after `open()`); resolves once the consumer runs. */
  async start(from: bigint): Promise<void> {
    const { kafka, topic } = this.opts;
    this.position = from;
    this.next = from;
    const consumer = kafka.consumer({
      groupId: `${topic}.reader.${randomUUID()}`,
      readUncommitted: false,
      maxBytesPerPartition: this.opts.fetchBytes ?? 16 << 20,
      maxBytes: this.opts.fetchBytes ?? 16 << 20,
      maxWaitTimeInMs: 200,
    });
    this.consumer = consumer;
    // Batches of control records only (commit markers) reach no handler; this event sees them.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
      this.advance(payload.lastOffset, payload.highWatermark),
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.fail(wrap(payload.error, 'the state changelog reader stopped'));
    });
    // kafkajs restarts a consumer that crashed (a broker away, a coordinator not ready yet) with
    // a group of its own: without committed offsets it would read from the beginning again.
    // Every join therefore seeks to where this reader is.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      const at = this.next > this.position ? this.next : this.position;
      consumer.seek({ topic, partition: 0, offset: at.toString() });
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: (p) => this.onBatch(p) });
  }

  /** The changelog's end now: the first offset a read_committed reader cannot read yet. */
  end(): Promise<bigint> {
    return changelogEnd(this.admin!, this.opts.topic);
  }

  /** Messages in the changelog not yet handed over and applied (committed or not), for a metric. */
  lagMessages(): number {
    const behind = this.highWatermark - this.position;
    return (behind > 0n ? Number(behind) : 0) + this.buffer.length;
  }

  /** Resolves once the position reached `target` and everything read before it is applied. */
  reached(target: bigint): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      this.check();
    });
  }

  /** Stops reading; resolves after what was read is applied. Throws the failure, if any. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
    this.flush();
    await this.applying;
    await this.admin?.disconnect();
    this.admin = null;
    for (const w of this.waiters.splice(0))
      w.reject(this.failure ?? new CrmUnifyError('CHANGELOG_FAILED', 'the state changelog reader stopped'));
    if (this.failure) throw this.failure;
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    if (this.failure) return;
    if (this.opts.onBytes) {
      let bytes = 0;
      for (const m of batch.messages) bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
      this.opts.onBytes(bytes);
    }
    for (const m of batch.messages) {
      const offset = BigInt(m.offset);
      if (offset < this.next) continue; // read again after a restart: handed over already
      this.next = offset + 1n;
      this.buffer.push(m);
      if (this.buffer.length >= this.batchMessages) {
        // One batch applies (LevelDB writes on its own thread) while the next one fills; no more.
        await this.applying;
        this.flush();
      }
    }
    if (this.buffer.length > 0 && !this.timer) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }

  /** The consumer's position moved past `lastOffset` (data or markers). */
  private advance(lastOffset: string, highWatermark: string): void {
    const next = BigInt(lastOffset) + 1n;
    if (next > this.position) this.position = next;
    const hw = BigInt(highWatermark);
    if (hw > this.highWatermark) this.highWatermark = hw;
    this.check();
  }

  /** Hands the buffer over, after the previous hand-over. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0 || this.failure) return;
    const messages = this.buffer;
    this.buffer = [];
    this.applying = this.applying
      .then(() => this.apply(messages, messages[messages.length - 1]!.offset))
      .then(
        () => this.check(),
        (err: unknown) => this.fail(err),
      );
  }

  private check(): void {
    const reached = this.waiters.filter((w) => this.position >= w.target);
    if (reached.length === 0) return;
    if (this.buffer.length > 0) return this.flush(); // check() runs again once it is applied
    void this.applying.then(() => {
      if (this.buffer.length > 0 || this.failure) return;
      for (const w of reached) {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        w.resolve();
      }
    });
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = err;
    this.opts.onError?.(err);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}

function wrap(err: unknown, what: string): CrmUnifyError {
  if (err instanceof CrmUnifyError) return err;
  return new CrmUnifyError('CHANGELOG_FAILED', `${what}: ${errorMessage(err)}`, { cause: err });
}
