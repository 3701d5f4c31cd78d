import type { KafkaMessage } from 'kafkajs';
import { CrmUnifyError } from '../core/errors.js';
import type { StateStore } from '../state/store.js';
import { acceptsEncoded } from '../state/level-store.js';
import { decodeRecord, decodeRecordEncoded } from './changelog-codec.js';
import { appliedOffset, appliedOffsetOp } from './changelog-offset.js';
import { ChangelogReader, type ReaderOptions } from './changelog-reader.js';

export type FollowOptions = ReaderOptions;

export interface FollowResult {
  /** Changelog messages applied by this follower. */
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
 * Follows the changelog into a standby's own store: the messages in order, applied in batches
 * (every 5 000 messages or 100 ms), each batch with the last offset it holds in the same
 * LevelDB batch, so a restart resumes where it stopped. Deletes apply as deletes; a message this
 * release cannot read stops it with CHANGELOG_FAILED.
 *
 * Takeover order: open the new writer first (it fences the old one, whose open transaction the
 * broker aborts), then `catchUpAndStop()`, then write through a ChangelogStateStore.
 */
export class ChangelogFollower {
  private readonly reader: ChangelogReader;
  private applied: FollowResult = { messages: 0, offset: null };

  constructor(
    private readonly store: StateStore,
    private readonly opts: FollowOptions,
  ) {
    this.reader = new ChangelogReader(opts, (messages, lastOffset) => this.applyMessages(messages, lastOffset));
  }

  /**
   * Resolves once reading runs from the store's offset + 1: true; with `onlyIfBehind`, false
   * without reading when the store already holds everything up to the changelog's end.
   */
  async start(opts: { onlyIfBehind?: boolean } = {}): Promise<boolean> {
    const end = await this.reader.open();
    try {
      return await this.startAt(end, opts.onlyIfBehind === true);
    } catch (err) {
      await this.reader.stop().catch(() => undefined);
      throw err;
    }
  }

  private async startAt(end: bigint, onlyIfBehind: boolean): Promise<boolean> {
    const held = await appliedOffset(this.store, this.opts.topic);
    this.applied.offset = held;
    const from = held === null ? 0n : BigInt(held) + 1n;
    if (from > end) {
      throw new CrmUnifyError(
        'CHANGELOG_FAILED',
        `the state holds changelog offset ${held} but ${this.opts.topic} ends before it: the topic was ` +
          "recreated or is another deployment's; restore the state afresh (crm-unify state restore --force)",
        { details: { topic: this.opts.topic, held, end: end.toString() } },
      );
    }
    if (onlyIfBehind && from >= end) return false;
    await this.reader.start(from);
    return true;
  }

  /** Messages not yet applied, for a metric. */
  lagMessages(): number {
    return this.reader.lagMessages();
  }

  /** What this follower applied so far. */
  progress(): FollowResult {
    return { ...this.applied };
  }

  /** Resolves once everything up to the changelog's end, as of this call, is applied. */
  async caughtUp(): Promise<FollowResult> {
    await this.reader.reached(await this.reader.end());
    return this.progress();
  }

  /** Catches up to the end as of this call, then stops (a takeover, a restore). */
  async catchUpAndStop(): Promise<FollowResult> {
    try {
      await this.caughtUp();
    } finally {
      await this.reader.stop();
    }
    return this.progress();
  }

  /** Stops reading; resolves after the last batch read is applied. */
  async stop(): Promise<FollowResult> {
    await this.reader.stop();
    return this.progress();
  }

  /**
   * One atomic batch, so only the last version of a key in it counts: earlier ones are neither
   * parsed nor written (a changelog not compacted yet holds many versions of a hot key).
   */
  private async applyMessages(messages: readonly KafkaMessage[], lastOffset: string): Promise<void> {
    const latest = new Map<string, KafkaMessage>();
    for (const m of messages) {
      const key = m.key?.toString('latin1') ?? '';
      latest.delete(key); // keep the map in changelog order of last versions
      latest.set(key, m);
    }
    const offsetOp = appliedOffsetOp(this.opts.topic, lastOffset);
    // LevelDB stores the JSON bytes the changelog carries as they are: nothing parsed or encoded again.
    if (acceptsEncoded(this.store))
      await this.store.batchEncoded([...latest.values()].map(decodeRecordEncoded), [offsetOp]);
    else await this.store.batch([...[...latest.values()].map((m) => decodeRecord(m)), offsetOp]);
    this.applied = { messages: this.applied.messages + messages.length, offset: lastOffset };
  }
}
