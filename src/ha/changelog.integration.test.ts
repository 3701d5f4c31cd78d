import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKafka, uniqueTopic } from '../../test/support/inject.js';
import { openLevelStore, type LevelStateStore } from '../state/level-store.js';
import { stateStoreContract } from '../state/state-store.contract.js';
import { namespaces, type StateOp, type StateStore } from '../state/store.js';
import { catchUp, ChangelogFollower } from './changelog-follower.js';
import { appliedOffset, appliedOffsetKey } from './changelog-offset.js';
import { openChangelogState } from './changelog-open.js';
import { ChangelogStateStore } from './changelog-store.js';
import { changelogTopicConfig, ensureChangelogTopic } from './changelog-topic.js';
import { ChangelogWriter } from './changelog-writer.js';

let kafka: Kafka;
let admin: Admin;
const root = mkdtempSync(join(tmpdir(), 'crm-unify-changelog-'));
let dirs = 0;
const freshDir = () => join(root, `s${dirs++}`);
const toClose: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  kafka = testKafka('changelog-test');
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  for (const c of toClose.reverse()) await c.close().catch(() => undefined);
  await admin?.disconnect();
  rmSync(root, { recursive: true, force: true });
});

/** A new changelog topic and an open writer for it (its own transactional id). */
async function newChangelog(prefix: string): Promise<{ topic: string; txId: string; writer: ChangelogWriter }> {
  const topic = uniqueTopic(prefix);
  await ensureChangelogTopic(admin, topic);
  const txId = `${topic}.state`;
  const writer = new ChangelogWriter({ kafka, topic, transactionalId: txId });
  await writer.open();
  toClose.push(writer);
  return { topic, txId, writer };
}

async function changelogStore(prefix: string) {
  const { topic, txId, writer } = await newChangelog(prefix);
  const level = await openLevelStore(freshDir());
  return { topic, txId, writer, level, store: new ChangelogStateStore(level, writer, topic) };
}

/** Everything the StateStore API shows, namespace by namespace, without the applied-offset key. */
async function dump(store: StateStore, topic: string): Promise<Record<string, Array<[string, unknown]>>> {
  const out: Record<string, Array<[string, unknown]>> = {};
  for (const ns of namespaces) {
    out[ns] = [];
    for await (const [k, v] of store.iterate(ns))
      if (!(ns === 'positions' && k === appliedOffsetKey(topic))) out[ns].push([k, v]);
  }
  return out;
}

const put = (key: string, value: string): StateOp => ({ type: 'put', ns: 'matchKeys', key, value });

{
  let current: { dir: string; writer: ChangelogWriter; topic: string } | undefined;
  stateStoreContract({
    name: 'changelog',
    open: async () => {
      const { topic, writer } = await newChangelog('contract');
      const dir = freshDir();
      current = { dir, writer, topic };
      return new ChangelogStateStore(await openLevelStore(dir), writer, topic);
    },
    reopen: async () => new ChangelogStateStore(await openLevelStore(current!.dir), current!.writer, current!.topic),
  });
}

describe('ChangelogStateStore over a real broker', () => {
  it('creates the topic compacted, with one partition', async () => {
    const { topic } = await newChangelog('topic');
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(meta?.partitions).toHaveLength(1);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: Object.keys(changelogTopicConfig) }],
    });
    const entries = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(entries).toEqual(changelogTopicConfig);
  });

  it('a state written through it and caught up into a fresh LevelDB is the same state', async () => {
    const { topic, store } = await changelogStore('same');
    await store.batch([
      put('a', 'A'),
      put('b', 'B'),
      { type: 'put', ns: 'companies', key: '7707083893', value: { inn: '7707083893', name: 'ООО "Ромашка"' } as never },
      { type: 'put', ns: 'positions', key: 'shop-b|0', value: '41' },
    ]);
    await store.batch([{ type: 'del', ns: 'matchKeys', key: 'a' }, put('c', 'C'), put('b', 'B2')]);
    await store.batch([{ type: 'put', ns: 'positions', key: 'shop-b|0', value: '42' }]);

    const replica = await openLevelStore(freshDir());
    toClose.push(replica);
    const r = await catchUp(replica, { kafka, topic });
    expect(r.messages).toBe(8);
    expect(r.offset).toBe(await appliedOffset(store, topic));
    expect(await dump(replica, topic)).toEqual(await dump(store, topic));
    expect(await replica.get('matchKeys', 'a')).toBeUndefined();

    // Nothing new: no reading, the same offset.
    expect(await catchUp(replica, { kafka, topic })).toEqual({ messages: 0, offset: r.offset });
    await store.close();
  });

  it('keeps the order of racing batches: the follower ends with the value the writer ended with', async () => {
    const { topic, store } = await changelogStore('race');
    const writes = [];
    for (let i = 0; i < 200; i++) writes.push(store.batch([put('hot', `v${i}`), put(`k${i % 7}`, `w${i}`)]));
    await Promise.all(writes);
    // 400 messages and a commit marker per transaction: fewer than 200 transactions (group commit).
    expect(Number(await appliedOffset(store, topic))).toBeLessThan(400 + 199);
    const replica = await openLevelStore(freshDir());
    toClose.push(replica);
    await catchUp(replica, { kafka, topic });
    expect(await replica.get('matchKeys', 'hot')).toBe(await store.get('matchKeys', 'hot'));
    expect(await dump(replica, topic)).toEqual(await dump(store, topic));
    await store.close();
  });

  it('a second writer with the same transactional id fences the first: its next batch applies nothing', async () => {
    const { topic, txId, store, level } = await changelogStore('fence');
    await store.batch([put('x', '1')]);
    const usurper = new ChangelogWriter({ kafka, topic, transactionalId: txId });
    await usurper.open();
    toClose.push(usurper);

    await expect(store.batch([put('x', 'zombie')])).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });
    expect(await level.get('matchKeys', 'x')).toBe('1');
    // Broken for good: later batches reject too, without writing.
    await expect(store.batch([put('y', 'later')])).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });

    await usurper.write([put('x', '2')]);
    const replica = await openLevelStore(freshDir());
    toClose.push(replica);
    await catchUp(replica, { kafka, topic });
    expect(await replica.get('matchKeys', 'x')).toBe('2');
    expect(await replica.get('matchKeys', 'y')).toBeUndefined();
    await store.close();
  });

  it('catches up what reached the changelog but not LevelDB (the crash window)', async () => {
    const { topic, writer, store, level } = await changelogStore('crash');
    await store.batch([put('a', '1')]);
    await writer.write([put('a', '2'), put('b', '1')]); // written, then "crashed" before LevelDB
    expect(await level.get('matchKeys', 'a')).toBe('1');
    const r = await catchUp(level, { kafka, topic });
    expect(r.messages).toBe(2);
    expect(await level.get('matchKeys', 'a')).toBe('2');
    expect(await level.get('matchKeys', 'b')).toBe('1');
    await store.close();
  });

  it('writes a batch of several MB in one transaction, in sends the broker default (1 MB) takes', async () => {
    const topic = uniqueTopic('large');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }); // no 8 MB limit
    const writer = new ChangelogWriter({ kafka, topic, transactionalId: `${topic}.state` });
    await writer.open();
    toClose.push(writer);
    const store = new ChangelogStateStore(await openLevelStore(freshDir()), writer, topic);
    const big = 'x'.repeat(10_000);
    const ops = Array.from({ length: 400 }, (_, i) => put(`big${i}`, `${i}:${big}`)); // ~4 MB
    await store.batch(ops);
    const replica = await openLevelStore(freshDir());
    toClose.push(replica);
    expect((await catchUp(replica, { kafka, topic })).messages).toBe(400);
    expect(await replica.get('matchKeys', 'big399')).toBe(`399:${big}`);
    await store.close();
  });

  it('reads past aborted transactions to the end, applying none of them', async () => {
    const { topic, txId, store } = await changelogStore('abort');
    await store.batch([put('a', '1')]);
    const raw = kafka.producer({ transactionalId: txId, idempotent: true, maxInFlightRequests: 1 });
    await raw.connect();
    const tx = await raw.transaction(); // fences the store's writer, as a takeover would
    await tx.send({ topic, messages: [{ key: 'matchKeys/a', value: '"aborted"', headers: { v: '1' } }] });
    await tx.abort(); // the log now ends with aborted data and an abort marker
    await raw.disconnect();
    const replica = await openLevelStore(freshDir());
    toClose.push(replica);
    const r = await catchUp(replica, { kafka, topic });
    expect(r.messages).toBe(1);
    expect(await replica.get('matchKeys', 'a')).toBe('1');
    await store.close();
  });

  it('stops with CHANGELOG_FAILED at a message of a namespace it does not know, applying nothing of its batch', async () => {
    const { topic, writer } = await newChangelog('unknown');
    await writer.write([put('a', '1')]);
    await writer.writeMessages([
      { key: Buffer.from('matchKeys/b'), value: Buffer.from('"1"'), headers: { v: '1' }, partition: 0 },
      { key: Buffer.from('futureNamespace/x'), value: Buffer.from('{}'), headers: { v: '1' }, partition: 0 },
    ]);
    const replica = await openLevelStore(freshDir());
    toClose.push(replica);
    await expect(catchUp(replica, { kafka, topic, batchMs: 1_000 })).rejects.toMatchObject({
      code: 'CHANGELOG_FAILED',
      message: expect.stringMatching(/unknown namespace "futureNamespace"/),
    });
    expect(await replica.get('matchKeys', 'b')).toBeUndefined();
  });

  it('turning HA on over an existing state writes it to the empty changelog first', async () => {
    const dir = freshDir();
    const before = await openLevelStore(dir); // written without HA
    await before.batch([put('a', '1'), put('b', '2'), { type: 'put', ns: 'positions', key: 'shop-b|0', value: '9' }]);
    await before.close();
    const topic = uniqueTopic('seed');
    const state = await openChangelogState({ kafka, dir, topic, transactionalId: `${topic}.state` });
    toClose.push(state);
    expect(state.seeded).toBe(true);
    await state.store.batch([put('c', '3')]);
    const replica = await openLevelStore(freshDir());
    toClose.push(replica);
    await catchUp(replica, { kafka, topic });
    expect(await dump(replica, topic)).toEqual(await dump(state.store, topic));
    expect(await replica.get('matchKeys', 'b')).toBe('2');

    // Another state (no offset of this changelog) over a changelog that is not empty: refused.
    const foreign = freshDir();
    const other = await openLevelStore(foreign);
    await other.batch([put('z', '1')]);
    await other.close();
    await expect(
      openChangelogState({ kafka, dir: foreign, topic, transactionalId: `${topic}.state` }),
    ).rejects.toMatchObject({
      code: 'CHANGELOG_FAILED',
      message: expect.stringMatching(/not empty: restore/),
    });
  });

  it('openChangelogState fences, catches up and writes; a follower streams it continuously', async () => {
    const topic = uniqueTopic('open');
    const txId = `${topic}.state`;
    const first = await openChangelogState({ kafka, dir: freshDir(), topic, transactionalId: txId });
    toClose.push(first);
    await first.store.batch([put('a', '1')]);

    const standbyStore: LevelStateStore = await openLevelStore(freshDir());
    toClose.push(standbyStore);
    const follower = new ChangelogFollower(standbyStore, { kafka, topic, batchMs: 20 });
    await follower.start();
    await first.store.batch([put('b', '1'), { type: 'del', ns: 'matchKeys', key: 'a' }]);
    await follower.caughtUp();
    expect(await standbyStore.get('matchKeys', 'b')).toBe('1');
    expect(await standbyStore.get('matchKeys', 'a')).toBeUndefined();
    expect(follower.lagMessages()).toBe(0);

    // Takeover: the standby's writer fences the active one, then the standby reads the rest.
    await first.writer.write([put('c', 'last')]); // the old active's last write, before the takeover
    const takeover = new ChangelogWriter({ kafka, topic, transactionalId: txId });
    await takeover.open();
    toClose.push(takeover);
    await expect(first.store.batch([put('d', 'zombie')])).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });
    const r = await follower.catchUpAndStop();
    expect(await standbyStore.get('matchKeys', 'c')).toBe('last');
    expect(await standbyStore.get('matchKeys', 'd')).toBeUndefined();
    expect(r.offset).toBe(await appliedOffset(standbyStore, topic));
  });
});
