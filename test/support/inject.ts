// What integration tests use to reach the services the global setup provides.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from './mysql-database.js';

export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers');
}

export function mysqlUrl(): string {
  return inject('mysqlUrl');
}

/**
 * A kafkajs client for the test broker, silent by default: kafkajs logs routine rebalances at
 * ERROR level, which would bury real failures (those surface as rejected promises anyway).
 */
export function testKafka(clientId = 'crm-unify-test', level: logLevel = logLevel.NOTHING): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: level });
}

/** A new, empty database (utf8mb4 unless told otherwise) for one suite; call drop() in afterAll. */
export function freshDatabase(prefix: string, opts?: { charset?: string; collation?: string }): Promise<TestDatabase> {
  return createTestDatabase(mysqlUrl(), prefix, opts);
}

/** A topic (or group) name no other test or earlier run uses: prefix-<time>-<random>. */
export function uniqueTopic(prefix: string): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 100) || 'test';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
