// Kafka + MySQL for integration tests and for people. For each service, in order: the env var
// (KAFKA_BROKERS, MYSQL_URL), services recorded by `npm run services -- up` that are still alive,
// for MySQL the local server at 127.0.0.1:3306, and last a server started here. Only what was
// started here is stopped by servicesDown(handle).
import { rmSync } from 'node:fs';
import { startKafka, type KafkaBroker } from './kafka-broker.js';
import { findOrStartMysql, probeMysql, type MysqlServer } from './mysql-server.js';
import { canConnect } from './net.js';
import { commandLineOf, isAlive, stopPid } from './processes.js';
import { clearState, readState, type ServiceRecord, type ServicesState } from './services-state.js';

export interface Services {
  kafkaBrokers: string[];
  mysqlUrl: string;
  /** Started by this servicesUp() call; servicesDown(services) stops exactly these. */
  owned: { kafka?: KafkaBroker; mysql?: MysqlServer };
  /** Where each service came from, for logs. */
  sources: { kafka: 'env' | 'state' | 'started'; mysql: 'env' | 'state' | 'local' | 'started' };
}

export interface ServicesUpOptions {
  /** Let started servers outlive this process (the CLI); default false. */
  detached?: boolean;
  log?: (message: string) => void;
}

const defaultLog = (message: string) => process.stderr.write(`[services] ${message}\n`);

export async function servicesUp(opts: ServicesUpOptions = {}): Promise<Services> {
  const log = opts.log ?? defaultLog;
  const state = readState();
  const owned: Services['owned'] = {};
  // allSettled, not all: if one fails, wait for the other to finish starting before stopping it.
  const [kafka, mysql] = await Promise.allSettled([
    resolveKafka(state, opts, log, owned),
    resolveMysql(state, opts, log, owned),
  ]);
  if (kafka.status === 'rejected' || mysql.status === 'rejected') {
    await Promise.allSettled([owned.kafka?.dispose(), owned.mysql?.stop()]);
    const errors = [kafka, mysql].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map(String).join('\n'));
  }
  return {
    kafkaBrokers: kafka.value.brokers,
    mysqlUrl: mysql.value.url,
    owned,
    sources: { kafka: kafka.value.source, mysql: mysql.value.source },
  };
}

async function resolveKafka(
  state: ServicesState,
  opts: ServicesUpOptions,
  log: (m: string) => void,
  owned: Services['owned'],
) {
  const fromEnv = process.env.KAFKA_BROKERS;
  if (fromEnv) {
    log(`kafka: using KAFKA_BROKERS=${fromEnv}`);
    return {
      brokers: fromEnv
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      source: 'env' as const,
    };
  }
  if (state.kafka && (await kafkaRecordAlive(state.kafka))) {
    log(`kafka: using ${state.kafka.brokers.join(',')} from \`npm run services -- up\``);
    return { brokers: state.kafka.brokers, source: 'state' as const };
  }
  forgetDead(state.kafka);
  owned.kafka = await startKafka({ detached: opts.detached ?? false, log });
  return { brokers: owned.kafka.brokers, source: 'started' as const };
}

async function resolveMysql(
  state: ServicesState,
  opts: ServicesUpOptions,
  log: (m: string) => void,
  owned: Services['owned'],
) {
  if (
    !process.env.MYSQL_URL &&
    state.mysql &&
    recordAlive(state.mysql) &&
    (await probeMysql(state.mysql.url)) === undefined
  ) {
    log(`mysql: using ${state.mysql.url} from \`npm run services -- up\``);
    return { url: state.mysql.url, source: 'state' as const };
  }
  forgetDead(state.mysql);
  const server = await findOrStartMysql({ detached: opts.detached ?? false, log });
  if (server.source === 'started') owned.mysql = server;
  return { url: server.url, source: server.source };
}

/** Removes the files of a recorded server that is gone (machine rebooted, killed by hand). */
function forgetDead(record: ServiceRecord | undefined): void {
  if (record?.runDir !== undefined && record.pid !== undefined && !recordAlive(record))
    rmSync(record.runDir, { recursive: true, force: true });
}

/** A recorded service is usable while its process (if it has one) is still the one we started. */
function recordAlive(record: ServiceRecord): boolean {
  if (record.pid === undefined) return true;
  return isAlive(record.pid) && record.runDir !== undefined && commandLineOf(record.pid).includes(record.runDir);
}

async function kafkaRecordAlive(record: NonNullable<ServicesState['kafka']>): Promise<boolean> {
  const [host, port] = (record.brokers[0] ?? '').split(':');
  return recordAlive(record) && host !== undefined && port !== undefined && canConnect(Number(port), host);
}

/**
 * With a handle: stops what that servicesUp() started. Without one (the CLI's `down`): stops the
 * servers recorded in .services/state.json and forgets them.
 */
export async function servicesDown(services?: Services): Promise<void> {
  if (services) {
    await Promise.all([services.owned.kafka?.dispose(), services.owned.mysql?.stop()]);
    return;
  }
  const state = readState();
  await Promise.all([stopRecord(state.kafka), stopRecord(state.mysql)]);
  clearState();
}

async function stopRecord(record: ServiceRecord | undefined): Promise<void> {
  if (record?.pid === undefined || record.runDir === undefined) return;
  // The run dir is on the server's command line (config path, datadir): a reused pid will not match.
  await stopPid(record.pid, { graceMs: 15_000, expect: record.runDir });
  rmSync(record.runDir, { recursive: true, force: true });
}

/** The environment tests and tools read. */
export function servicesEnv(services: Pick<Services, 'kafkaBrokers' | 'mysqlUrl'>): {
  KAFKA_BROKERS: string;
  MYSQL_URL: string;
} {
  return { KAFKA_BROKERS: services.kafkaBrokers.join(','), MYSQL_URL: services.mysqlUrl };
}
