import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaBroker } from '../../test/support/kafka-broker.js';
import { openLevelStore } from '../state/level-store.js';
import type { StateOp } from '../state/store.js';
import { ChangelogFollower } from './changelog-follower.js';
import { ensureChangelogTopic } from './changelog-topic.js';
import { ChangelogWriter } from './changelog-writer.js';

// A broker of its own: this test stops and starts it.
let broker: KafkaBroker;
const root = mkdtempSync(join(tmpdir(), 'crm-unify-changelog-restart-'));

beforeAll(async () => {
  broker = await startKafka();
});
afterAll(async () => {
  await broker?.dispose();
  rmSync(root, { recursive: true, force: true });
});

const put = (key: string, value: string): StateOp => ({ type: 'put', ns: 'matchKeys', key, value });

describe('ChangelogFollower across a broker restart', () => {
  it('resumes where it was (kafkajs restarts its consumer in a new group): nothing read twice', async () => {
    const kafka = new Kafka({ clientId: 'restart-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const topic = 'app.changelog';
    const admin = kafka.admin();
    await admin.connect();
    await ensureChangelogTopic(admin, topic);
    await admin.disconnect();

    const writer = new ChangelogWriter({ kafka, topic, transactionalId: 'app.state' });
    await writer.open();
    for (let i = 0; i < 20; i++) await writer.write([put(`k${i}`, 'before'), put('hot', `v${i}`)]);

    const store = await openLevelStore(join(root, 'standby'));
    let failure: unknown;
    const follower = new ChangelogFollower(store, { kafka, topic, batchMs: 20, onError: (e) => (failure = e) });
    await follower.start();
    await follower.caughtUp();
    expect(follower.progress().messages).toBe(40);

    await broker.restart();
    for (let i = 0; i < 10; i++) await writer.write([put(`k${i}`, 'after'), put('hot', `w${i}`)]);
    await follower.caughtUp();
    expect(failure).toBeUndefined();
    expect(follower.progress().messages).toBe(60);
    expect(await store.get('matchKeys', 'hot')).toBe('w9');
    expect(await store.get('matchKeys', 'k9')).toBe('after');
    expect(await store.get('matchKeys', 'k19')).toBe('before');
    await follower.stop();
    await writer.close();
    await store.close();
  });
});
