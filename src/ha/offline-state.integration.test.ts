import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueTopic } from '../../test/support/inject.js';
import { createKafkaClient } from '../connectors/kafka/client.js';
import { silentLogger } from '../core/logger.js';
import { openLevelStore } from '../state/level-store.js';
import { catchUp } from './changelog-follower.js';
import { haNames } from './config.js';
import { Lease } from './lease.js';
import { assertNoInstanceRunning, withOfflineChangelogState } from './offline-state.js';

let kafka: Kafka;
const root = mkdtempSync(join(tmpdir(), 'crm-unify-offline-'));
beforeAll(() => {
  kafka = createKafkaClient(kafkaBrokers(), 'offline-state-test', silentLogger, { level: logLevel.NOTHING });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('state changes from the command line under HA', () => {
  it('go through the changelog, so a standby or a restore sees them', async () => {
    const app = uniqueTopic('offline');
    await withOfflineChangelogState({ kafka, app, dir: join(root, 'a') }, async (store) => {
      await store.batch([{ type: 'put', ns: 'positions', key: 'shop-a|companies', value: '2026-01-01T00:00:00Z' }]);
    });
    await withOfflineChangelogState({ kafka, app, dir: join(root, 'a') }, async (store) => {
      expect(await store.get('positions', 'shop-a|companies')).toBe('2026-01-01T00:00:00Z');
      await store.batch([{ type: 'del', ns: 'positions', key: 'shop-a|companies' }]);
      await store.batch([{ type: 'put', ns: 'positions', key: 'shop-b.dump|0', value: '17' }]);
    });
    const other = await openLevelStore(join(root, 'b'));
    try {
      await catchUp(other, { kafka, topic: haNames(app).changelogTopic });
      expect(await other.get('positions', 'shop-a|companies')).toBeUndefined();
      expect(await other.get('positions', 'shop-b.dump|0')).toBe('17');
    } finally {
      await other.close();
    }
  });

  it('are refused while an instance of the deployment runs, standby or active', async () => {
    const app = uniqueTopic('offline-busy');
    await expect(assertNoInstanceRunning(kafka, app)).resolves.toBeUndefined();
    const n = haNames(app);
    const lease = await Lease.join({
      kafka,
      topic: n.leaseTopic,
      groupId: n.leaseGroup,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      fenceMarginMs: 2_000,
      logger: silentLogger,
    });
    try {
      await lease.whenAcquired(AbortSignal.timeout(20_000));
      await expect(
        withOfflineChangelogState({ kafka, app, dir: join(root, 'c') }, async () => 'ran'),
      ).rejects.toMatchObject({ code: 'STATE_STORE_LOCKED', message: expect.stringContaining('stop every instance') });
    } finally {
      await lease.leave();
    }
    await expect(assertNoInstanceRunning(kafka, app)).resolves.toBeUndefined();
  });
});
