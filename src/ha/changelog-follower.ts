import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { CrmUnifyError, errorMessage } from '../core/errors.js';
import type { StateOp, StateStore } from '../state/store.js';
import { decodeRecord } from './changelog-codec.js';
import { appliedOffset, appliedOffsetOp } from './changelog-offset.js';
import { assertChangelogTopic, changelogEnd } from './changelog-topic.js';

export interface FollowOptions {
  kafka: Kafka;
  topic: string;
  /** Apply once this many messages are buffered; default 5 000. */
  batchMessages?: number;
  /** …or once the oldest buffered message waited this long; default 100 ms. */
  batchMs?: number;
  /** Bytes per fetch (one partition); default 16 MB. */
  fetchBytes?: number;
  /** Called once when following fails (an unreadable message, the store, the consumer). */
  onError?: (err: unknown) => void;
}

export interface FollowResult {
  /** Changelog messages applied by this reader. */
  messages: number;
  /** The last changelog offset the store holds (null: none). */
  offset: string | null;
}

/**
 * Reads the changelog into `store` from the offset it holds up to the end as of the call (the
 * last stable offset), then returns. Use it before an instance writes (crash window: the
 * changelog may be ahead of LevelDB) and to build a state from nothing (`state restore`).
 */
export async function catchUp(store: StateStore, opts: FollowOptions): Promise<FollowResult> {
  const follower = new ChangelogFollower(store, opts);
  // An up-to-date store costs no consumer (joining a fresh group takes a while).
  if (!(await follower.start({ onlyIfBehind: true }))) return follower.stop();
  return follower.catchUpAndStop();
}

/**
 * Follows the changelog continuously into a standby's own store: the messages in order, applied
 * in batches, each batch with the last offset it holds (in the same LevelDB batch, so a restart
 * resumes where it stopped). Deletes apply as deletes. No consumer-group offsets are used: each
 * run joins a group of its own and seeks to the store's offset + 1; only committed transactions
 * are read (kafkajs reads read_committed by default).
 *
 * Caught up means the consumer's position (past data, aborted data and transaction markers
 * alike) reached the end as of the question and everything read is applied: the store's offset
 * is that of the last *data* message, so it alone cannot tell (a commit marker follows it).
 *
 * Takeover order: open the new writer first (it fences the old one, whose open transaction the
 * broker aborts), then `catchUpAndStop()`, then write through a ChangelogStateStore.
 */
export class ChangelogFollower {
  private readonly batchMessages: number;
  private readonly batchMs: number;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  /** Next offset the consumer reads: past markers too. */
  private position = 0n;
  private highWatermark = 0n;
  private buffer: StateOp[] = [];
  private bufferOffset: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private applying: Promise<void> = Promise.resolve();
  private applied: FollowResult = { messages: 0, offset: null };
  private failure: unknown = null;
  private waiters: Array<{ target: bigint; resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(
    private readonly store: StateStore,
    private readonly opts: FollowOptions,
  ) {
    this.batchMessages = opts.batchMessages ?? 5_000;
    this.batchMs = opts.batchMs ?? 100;
  }

  /**
   * Resolves once the reader runs from the store's offset + 1, true; with `onlyIfBehind`, false
   * without reading when the store already holds the changelog's end.
   */
  async start(opts: { onlyIfBehind?: boolean } = {}): Promise<boolean> {
    const { kafka, topic } = this.opts;
    this.admin = kafka.admin();
    await this.admin.connect();
    await assertChangelogTopic(this.admin, topic);
    const held = await appliedOffset(this.store, topic);
    this.applied.offset = held;
    this.position = held === null ? 0n : BigInt(held) + 1n;
    const end = await changelogEnd(this.admin, topic);
    if (this.position > end) {
      throw new CrmUnifyError(
        'CHANGELOG_FAILED',
        `the state holds changelog offset ${held} but ${topic} ends before it: the topic was recreated ` +
          "or is another deployment's; restore the state afresh (crm-unify state restore --force)",
        { details: { topic, held, end: end.toString() } },
      );
    }
    this.highWatermark = end;
    if (opts.onlyIfBehind && this.position >= end) return false;
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
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: (p) => this.onBatch(p) });
    consumer.seek({ topic, partition: 0, offset: this.position.toString() });
    return true;
  }

  /** Messages in the changelog not yet applied (committed or not), for a metric. */
  lagMessages(): number {
    const behind = this.highWatermark - this.position;
    return (behind > 0n ? Number(behind) : 0) + this.buffer.length;
  }

  /** What this reader applied so far. */
  progress(): FollowResult {
    return { ...this.applied };
  }

  /** Resolves once everything up to the changelog's end, as of this call, is applied. */
  async caughtUp(): Promise<FollowResult> {
    const end = await changelogEnd(this.admin!, this.opts.topic);
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ target: end, resolve, reject });
      this.check();
    });
    return this.progress();
  }

  /** Catches up to the end as of this call, then stops (a takeover, a restore). */
  async catchUpAndStop(): Promise<FollowResult> {
    try {
      await this.caughtUp();
    } finally {
      await this.stop().catch(() => undefined);
    }
    if (this.failure) throw this.failure;
    return this.progress();
  }

  /** Stops reading; resolves after the last batch read is applied. */
  async stop(): Promise<FollowResult> {
    await this.consumer?.disconnect();
    this.consumer = null;
    this.flush();
    await this.applying;
    await this.admin?.disconnect();
    this.admin = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.fail(new CrmUnifyError('CHANGELOG_FAILED', 'the state changelog reader stopped'), false);
    return this.progress();
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    if (this.failure) return;
    try {
      for (const m of batch.messages) {
        this.buffer.push(decodeRecord(m));
        this.bufferOffset = m.offset;
        if (this.buffer.length >= this.batchMessages) {
          this.flush();
          await this.applying; // backpressure: read no further than LevelDB writes
        }
      }
    } catch (err) {
      this.fail(err);
      return;
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

  /** Applies what is buffered, after the previous apply, with the offset it reaches. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0 || this.failure) return;
    const ops = this.buffer;
    const offset = this.bufferOffset!;
    this.buffer = [];
    this.applying = this.applying
      .then(() => this.store.batch([...ops, appliedOffsetOp(this.opts.topic, offset)]))
      .then(
        () => {
          this.applied = { messages: this.applied.messages + ops.length, offset };
          this.check();
        },
        (err: unknown) => this.fail(err),
      );
  }

  private check(): void {
    if (this.waiters.length === 0) return;
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

  /** Records the first failure and rejects every waiter; `keep: false` only rejects (a stop). */
  private fail(err: unknown, keep = true): void {
    if (keep && !this.failure) {
      this.failure = err;
      this.opts.onError?.(err);
    }
    for (const w of this.waiters.splice(0)) w.reject(this.failure ?? err);
  }
}

function wrap(err: unknown, what: string): CrmUnifyError {
  if (err instanceof CrmUnifyError) return err;
  return new CrmUnifyError('CHANGELOG_FAILED', `${what}: ${errorMessage(err)}`, { cause: err });
}
