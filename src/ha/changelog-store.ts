import { CrmUnifyError } from '../core/errors.js';
import type { StateOp, StateStore } from '../state/store.js';
import { WrappingStateStore } from '../state/wrapping-store.js';
import { acceptsEncoded } from '../state/level-store.js';
import { encodedOpOf, encodeOp, type ChangelogMessage } from './changelog-codec.js';
import { appliedOffsetOp } from './changelog-offset.js';
import type { ChangelogWriter } from './changelog-writer.js';

/** Transactions grow by whole caller batches up to about this many ops (a first batch may be larger). */
const MAX_GROUP_OPS = 50_000;

interface Queued {
  ops: readonly StateOp[];
  messages: ChangelogMessage[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The StateStore of an active instance under HA: every batch goes to the changelog first (one
 * transaction), then to LevelDB with the offset it reached, in one LevelDB batch. Reads go to
 * LevelDB. Callers (the resolver, the ledger, the sweep, rejects…) call `batch` concurrently:
 * batches are queued, and those that queued while a transaction was in flight share the next
 * one (group commit), applied to LevelDB in queue order, which is the changelog's order; a
 * group's LevelDB apply overlaps the next group's transaction. A batch resolves once in LevelDB.
 *
 * A failed changelog write applies nothing; that batch and every later one reject with its
 * error (INSTANCE_FENCED or CHANGELOG_FAILED): the store is broken and the process must stop.
 * A failed LevelDB apply breaks it the same way.
 * A crash between the changelog and LevelDB leaves LevelDB behind the changelog, never ahead;
 * catching up (changelog-follower.ts) before writing again closes the gap.
 */
export class ChangelogStateStore extends WrappingStateStore {
  private queue: Queued[] = [];
  private writing = false;
  /** The last group's LevelDB apply, and the one before it. */
  private applying: Promise<void> = Promise.resolve();
  private applyingBefore: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private closed = false;

  constructor(
    inner: StateStore,
    private readonly writer: Pick<ChangelogWriter, 'writeMessages'>,
    private readonly topic: string,
  ) {
    super(inner);
  }

  override batch(ops: readonly StateOp[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    // Nothing may reach the changelog that LevelDB will not take.
    if (this.closed) return Promise.reject(new CrmUnifyError('STATE_STORE_FAILED', 'state store: closed'));
    if (ops.length === 0) return Promise.resolve();
    let messages: ChangelogMessage[];
    try {
      messages = ops.map(encodeOp); // a bad op fails its own batch only, before anything is written
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, messages, resolve, reject });
      this.pump();
    });
  }

  /** Waits for queued batches, then closes LevelDB (the writer belongs to the caller). */
  override async close(): Promise<void> {
    this.closed = true;
    while (this.writing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    await this.applying;
    await this.inner.close();
  }

  /**
   * One transaction at a time; the LevelDB apply of a group overlaps the next group's
   * transaction (LevelDB writes on its own thread), at most one apply behind.
   */
  private pump(): void {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const group = this.takeGroup();
    void this.commit(group).finally(() => {
      this.writing = false;
      this.pump();
    });
  }

  private takeGroup(): Queued[] {
    let n = 0;
    let i = 0;
    while (i < this.queue.length && (i === 0 || n + this.queue[i]!.ops.length <= MAX_GROUP_OPS)) {
      n += this.queue[i]!.ops.length;
      i++;
    }
    return this.queue.splice(0, i);
  }

  private async commit(group: Queued[]): Promise<void> {
    let offset: string;
    try {
      await this.applyingBefore; // LevelDB no further behind than one group (the previous one)
      if (this.failure) throw this.failure;
      offset = await this.writer.writeMessages(group.flatMap((q) => q.messages));
    } catch (err) {
      this.fail(err, group);
      return;
    }
    // Applied in changelog order, since each apply chains on the one before.
    this.applyingBefore = this.applying;
    this.applying = this.applying.then(async () => {
      if (this.failure) return this.fail(this.failure, group);
      try {
        await this.apply(group, appliedOffsetOp(this.topic, offset));
      } catch (err) {
        return this.fail(err, group);
      }
      for (const q of group) q.resolve();
    });
  }

  /** LevelDB takes the bytes the changelog got (no second JSON encoding); another store, the ops. */
  private apply(group: readonly Queued[], offsetOp: StateOp): Promise<void> {
    if (!acceptsEncoded(this.inner)) return this.inner.batch([...group.flatMap((q) => q.ops), offsetOp]);
    return this.inner.batchEncoded(
      group.flatMap((q) => q.ops.map((op, i) => encodedOpOf(op, q.messages[i]!))),
      [offsetOp],
    );
  }

  /** Breaks the store: the changelog may hold what LevelDB does not (or a fenced writer's nothing). */
  private fail(err: unknown, group: readonly Queued[]): void {
    this.failure ??= err;
    for (const q of [...group, ...this.queue.splice(0)]) q.reject(this.failure);
  }
}
