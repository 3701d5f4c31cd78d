import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { createKafkaClient } from '../../src/connectors/kafka/client.js';
import { silentLogger } from '../../src/core/logger.js';
import { runService } from '../../src/runtime/service.js';
import { openLevelStore } from '../../src/state/level-store.js';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';
import { kafkaBrokers, uniqueTopic } from '../support/inject.js';
import { topologies } from '../../topologies/index.js';
import { catchUp } from '../../src/ha/changelog-follower.js';
import { haNames } from '../../src/ha/config.js';
import { runHighlyAvailable } from '../../src/ha/role.js';

describe('HA turned on over a state written without it', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy();
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('seeds the empty changelog with the whole state at the first takeover, so a standby from nothing holds all of it', async () => {
    const config = await loadConfigFile(d.configPath, {});
    const run = { topologies, names: ['shop-a', 'shop-b'], once: true, logger: silentLogger };
    await runService({ ...run, config, stop: new AbortController().signal });
    const level = await openLevelStore(config.state.dir);
    const companies = await level.count('companies');
    const contacts = await level.count('contacts');
    await level.close();
    expect(companies).toBeGreaterThan(0);

    const app = uniqueTopic('crm-unify-seed');
    const writes = d.sandbox.portal.counters.writes;
    const fenced: unknown[] = [];
    await runHighlyAvailable({
      ...run,
      config: { ...config, ha: { ...config.ha, enabled: true, app } },
      stop: new AbortController().signal,
      onFenced: (err) => fenced.push(err),
    });
    expect(fenced).toEqual([]);
    expect(d.sandbox.portal.counters.writes).toBe(writes); // nothing new for the CRM

    const standby = await openLevelStore(join(await mkdtemp(join(tmpdir(), 'crm-unify-standby-')), 'state'));
    try {
      const kafka = createKafkaClient(kafkaBrokers(), 'seed-test', silentLogger, { level: logLevel.NOTHING });
      await catchUp(standby, { kafka, topic: haNames(app).changelogTopic });
      expect(await standby.count('companies')).toBe(companies);
      expect(await standby.count('contacts')).toBe(contacts);
    } finally {
      await standby.close();
    }
  });
});
