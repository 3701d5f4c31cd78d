import type { Kafka } from 'kafkajs';
import { openLevelStore, type LevelStateStore } from '../state/level-store.js';
import { catchUp, type FollowResult } from './changelog-follower.js';
import { appliedOffset } from './changelog-offset.js';
import { holdsState, seedChangelog } from './changelog-seed.js';
import { ChangelogStateStore } from './changelog-store.js';
import { ensureChangelogTopic } from './changelog-topic.js';
import { ChangelogWriter } from './changelog-writer.js';

export interface OpenChangelogStateOptions {
  kafka: Kafka;
  /** The state directory (LevelDB). */
  dir: string;
  /** haNames(app).changelogTopic */
  topic: string;
  /** haNames(app).transactionalId */
  transactionalId: string;
  replicationFactor?: number;
}

export interface ChangelogState {
  store: ChangelogStateStore;
  writer: ChangelogWriter;
  /** What the catch-up applied before the store was handed out (the crash window, a standby's tail). */
  caughtUp: FollowResult;
  /** True when HA was turned on over this state: it was written to the empty changelog first. */
  seeded: boolean;
  /** Closes the store, then the writer. */
  close(): Promise<void>;
}

/**
 * An active instance's state: the changelog topic made sure of, a state written before HA was on
 * seeded into it (changelog-seed.ts), the writer opened (which fences any older instance: from
 * here no one else adds to the changelog), LevelDB caught up with the changelog (what a crash
 * left unapplied, or what a standby had not read yet), then the store.
 */
export async function openChangelogState(opts: OpenChangelogStateOptions): Promise<ChangelogState> {
  const admin = opts.kafka.admin();
  await admin.connect();
  try {
    await ensureChangelogTopic(admin, opts.topic, { replicationFactor: opts.replicationFactor });
  } finally {
    await admin.disconnect();
  }
  let level: LevelStateStore | undefined;
  try {
    level = await openLevelStore(opts.dir);
    return await takeOverChangelog(level, opts);
  } catch (err) {
    await level?.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The takeover on an open state (an instance that was the standby, or `openChangelogState`): a
 * state written before HA was on seeded into the changelog, the writer opened (which fences any
 * older instance), LevelDB caught up with the changelog, then the store that writes through it.
 */
export async function takeOverChangelog(
  level: LevelStateStore,
  opts: Pick<OpenChangelogStateOptions, 'kafka' | 'topic' | 'transactionalId'>,
): Promise<ChangelogState> {
  const seeded = (await appliedOffset(level, opts.topic)) === null && (await holdsState(level));
  if (seeded) await seedChangelog(level, opts);
  const writer = new ChangelogWriter({ kafka: opts.kafka, topic: opts.topic, transactionalId: opts.transactionalId });
  try {
    await writer.open();
    const caughtUp = await catchUp(level, { kafka: opts.kafka, topic: opts.topic });
    const store = new ChangelogStateStore(level, writer, opts.topic);
    return {
      store,
      writer,
      caughtUp,
      seeded,
      close: async () => {
        await store.close();
        await writer.close();
      },
    };
  } catch (err) {
    await writer.close().catch(() => undefined);
    throw err;
  }
}
