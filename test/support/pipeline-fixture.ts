// A whole deployment for end-to-end tests: generated data of both stores loaded into the real
// MySQL and Kafka, a sandbox portal and register, and a config file pointing at all of them.
import { writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { Partitioners } from 'kafkajs';
import { stringify } from 'yaml';
import { generate, reachable, scales, type Dataset, type Scale } from '../../src/gen/dataset.js';
import { loadShopA } from '../../src/gen/load-shop-a.js';
import { writeDataset } from '../../src/gen/write.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { freshDatabase, kafkaBrokers, testKafka, uniqueTopic } from './inject.js';
import { createTestDatabase } from './mysql-database.js';

export interface Deployment {
  ds: Dataset;
  dir: string;
  configPath: string;
  config: Record<string, unknown>;
  topic: string;
  sandbox: Sandbox;
  mysqlUrl: string;
  stop(): Promise<void>;
}

export interface DeployOptions {
  scale?: Scale;
  seed?: number;
  sandbox?: SandboxOptions;
  partitions?: number;
  /** Server for Shop A's database (base URL, no database); default the shared test server. */
  mysqlServerUrl?: string;
  /** Merged into `sources.shopA` (e.g. `{ mode: 'binlog' }`). */
  shopA?: Record<string, unknown>;
}

export async function deploy(opts: DeployOptions = {}): Promise<Deployment> {
  // By default data whose truth the matching rules can reach (`reachable`): end-to-end tests assert
  // exactly the expected contacts; matching quality on the full mix is the benchmark's and the demo's.
  const ds = generate(opts.scale ?? reachable(scales.small), opts.seed ?? 1);
  const dir = await mkdtemp(join(tmpdir(), 'crm-unify-e2e-'));
  const paths = await writeDataset(ds, dir);
  const db = opts.mysqlServerUrl ? await createTestDatabase(opts.mysqlServerUrl, 'e2e') : await freshDatabase('e2e');
  const conn = await mysql.createConnection({ uri: db.url, charset: 'UTF8MB4_UNICODE_CI' });
  await loadShopA(conn, ds.shopA);
  await conn.end();

  const topic = uniqueTopic('shop-b.crm.partners');
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions ?? 3 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < ds.shopB.events.length; i += 500) {
    await producer.send({
      topic,
      messages: ds.shopB.events.slice(i, i + 500).map((e) => ({ key: e.key, value: e.value })),
    });
  }
  await producer.disconnect();

  const sandbox = await startSandbox({
    registry: ds.registry,
    rate: 50,
    burst: 50,
    egrulLatencyMs: 20,
    egrulRateLimit: 500,
    ...opts.sandbox,
  });
  const config = {
    state: { dir: join(dir, 'state') },
    metrics: { port: 0 },
    crm: { webhookUrl: sandbox.webhookUrl, rate: 50, burst: 50, concurrency: 4 },
    registry: {
      url: sandbox.egrulUrl,
      token: sandbox.egrulToken,
      rate: 300,
      concurrency: 16,
      retryBaseMs: 50,
      retryMaxMs: 500,
    },
    runtime: { maxInFlight: 500, loadWindowMs: 100, loadMaxRecords: 300, shutdownTimeoutMs: 20_000 },
    sources: {
      shopA: { mysql: db.url, pollIntervalMs: 200, lookbackSeconds: 1, ...opts.shopA },
      shopB: {
        dump: { path: paths.shopBDump, encoding: 'windows-1251' },
        kafka: {
          brokers: kafkaBrokers(),
          topic,
          groupId: uniqueTopic('crm-unify-e2e'),
          maxWaitMs: 300,
          commitIntervalMs: 500,
          sessionTimeoutMs: 10_000,
        },
      },
    },
  };
  const configPath = join(dir, 'crm-unify.yaml');
  await writeFile(configPath, stringify(config));
  return {
    ds,
    dir,
    configPath,
    config,
    topic,
    sandbox,
    mysqlUrl: db.url,
    stop: async () => {
      await sandbox.stop();
      await db.drop();
    },
  };
}
