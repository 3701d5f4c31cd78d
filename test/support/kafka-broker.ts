// A real single-node Apache Kafka (KRaft) for tests, run with `java` from Maven Central jars (no
// Docker on the dev and CI machines). Each start gets free ports and a fresh temp data dir; the
// handle can stop and start the same broker again (same port, same data) for chaos tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { JVM_OPTIONS, LOG4J2_PROPERTIES, newClusterId, serverProperties, type KafkaPorts } from './kafka-config.js';
import { ensureKafkaLibs, KAFKA_VERSION, MISSING_JAVA_HINT } from './kafka-libs.js';
import { freePorts, LOOPBACK, waitForPort } from './net.js';
import { findExecutable, forgetOnExit, isAlive, killPid, stopOnExit, stopPid, tailOf } from './processes.js';

export interface StartKafkaOptions {
  /** Kafka release to run; default 4.1.1. */
  version?: string;
  /** Let the broker outlive this process (the services CLI); default false. */
  detached?: boolean;
  /** How long start()/restart() wait for the broker to answer; default 90 s. */
  readyTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface KafkaBroker {
  /** Bootstrap addresses for clients: the broker listener only, never the controller's. */
  readonly brokers: string[];
  /** Version the broker reported at startup (AppInfoParser), e.g. "4.1.1". */
  readonly version: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  /** Temp dir with the config files, broker.log and data/. */
  readonly runDir: string;
  readonly logFile: string;
  /** Pid of the running JVM, undefined while stopped. */
  pid(): number | undefined;
  /** SIGTERM, SIGKILL after 15 s. Files are kept, so start() brings the same broker back. */
  stop(): Promise<void>;
  /** SIGKILL at once: a crash, no clean shutdown. */
  kill(): Promise<void>;
  /** Starts the same broker again (same ports and data dir) after stop() or kill(). */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** stop() and delete runDir: the end of this broker. */
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const defaultLog = (message: string) => process.stderr.write(`[services] ${message}\n`);

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const log = opts.log ?? defaultLog;
  const java = findExecutable('java');
  if (!java)
    throw new Error(
      `Cannot start Kafka for the tests: \`java\` is not on PATH. To run the integration tests, ${MISSING_JAVA_HINT}.`,
    );
  const requested = opts.version ?? KAFKA_VERSION;
  const libs = await ensureKafkaLibs(requested, log);
  const classpath = join(libs, '*'); // expanded by java itself, not by a shell

  const t0 = Date.now();
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const ports: KafkaPorts = { port, controllerPort };
  const runDir = mkdtempSync(join(tmpdir(), 'crm-unify-kafka-'));
  const dataDir = join(runDir, 'data');
  const logFile = join(runDir, 'broker.log');
  const propsFile = join(runDir, 'server.properties');
  const log4jFile = join(runDir, 'log4j2.properties');
  mkdirSync(dataDir);
  writeFileSync(propsFile, serverProperties(ports, dataDir));
  writeFileSync(log4jFile, LOG4J2_PROPERTIES);
  const jvm = [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath];
  const brokers = [`${LOOPBACK}:${port}`];
  const readyTimeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;

  let child: ChildProcess | undefined;

  const launch = async (): Promise<number> => {
    const started = Date.now();
    const out = openSync(logFile, 'a');
    const proc = spawn(java, [...jvm, 'kafka.Kafka', propsFile], {
      stdio: ['ignore', out, out],
      detached: opts.detached ?? false,
    });
    closeSync(out);
    const pid = proc.pid;
    if (pid === undefined) throw new Error(`could not spawn ${java}`);
    child = proc;
    if (opts.detached) proc.unref();
    else stopOnExit(pid);
    let exited: Error | undefined;
    proc.once('exit', (code, signal) => {
      forgetOnExit(pid);
      if (child === proc) child = undefined;
      exited = new Error(
        `Kafka exited (code ${code}, signal ${signal}) before it was ready; ${logFile}:\n${tailOf(logFile)}`,
      );
    });
    try {
      await waitForPort(port, { timeoutMs: readyTimeoutMs, failed: () => exited, what: 'Kafka' });
      await waitForCluster(brokers, started + readyTimeoutMs, () => exited);
    } catch (error) {
      await stopPid(pid, { graceMs: 5_000 });
      throw error;
    }
    return Date.now() - started;
  };

  const stop = async (grace = STOP_GRACE_MS) => {
    const pid = child?.pid;
    if (pid !== undefined) await (grace === 0 ? killPid(pid) : stopPid(pid, { graceMs: grace }));
    child = undefined;
  };

  try {
    await format(java, jvm, propsFile, logFile);
    await launch();
    const version = reportedVersion(logFile) ?? requested;
    log(`kafka ${version} (KRaft) ready at ${brokers.join(',')} in ${Date.now() - t0} ms (data ${dataDir})`);
    return {
      brokers,
      version,
      port,
      controllerPort,
      dataDir,
      runDir,
      logFile,
      pid: () => (child?.pid !== undefined && isAlive(child.pid) ? child.pid : undefined),
      stop: () => stop(),
      kill: () => stop(0),
      start: async () => {
        if (child) throw new Error('Kafka is already running; stop() it first');
        const restartMs = await launch();
        log(`kafka restarted at ${brokers.join(',')} in ${restartMs} ms`);
      },
      restart: async () => {
        await stop();
        const restartMs = await launch();
        log(`kafka restarted at ${brokers.join(',')} in ${restartMs} ms`);
      },
      dispose: async () => {
        await stop();
        rmSync(runDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stop(5_000);
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
}

/** Writes meta.properties and the bootstrap metadata into the fresh data dir (kafka-storage.sh format). */
function format(java: string, jvm: string[], propsFile: string, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = openSync(logFile, 'a');
    const proc = spawn(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propsFile], {
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    proc.once('error', reject);
    proc.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`Kafka storage format failed (exit ${code}); ${logFile}:\n${tailOf(logFile)}`)),
    );
  });
}

/**
 * The port opens only once the broker is unfenced, but a client request is the real test: retry
 * describeCluster until the broker answers with itself as a live node.
 */
async function waitForCluster(brokers: string[], deadline: number, failed: () => Error | undefined): Promise<void> {
  const kafka = new Kafka({
    clientId: 'crm-unify-harness',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  let lastError: unknown;
  for (;;) {
    const failure = failed();
    if (failure) throw failure;
    // A fresh client per attempt: no state left over from a failed connect.
    const admin = kafka.admin();
    try {
      await admin.connect();
      if ((await admin.describeCluster()).brokers.length > 0) return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() >= deadline)
      throw new Error(`Kafka at ${brokers.join(',')} did not answer describeCluster in time: ${String(lastError)}`);
    await sleep(200);
  }
}

function reportedVersion(logFile: string): string | undefined {
  try {
    return /Kafka version: (\S+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
