// The service as an SRE meets it when a server is missing: it waits for MySQL and Kafka that are
// not up yet (and says so on /healthz, in metrics and in one JSON log stream), gives up on time
// with --once naming what to fix, and stops at once on SIGTERM when nothing is in flight.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePorts } from '../support/net.js';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';
import { tcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'crm-unify.js');
const OVERRIDING_ENV = [
  'KAFKA_BROKERS',
  'SHOP_A_MYSQL_URL',
  'BITRIX24_WEBHOOK_URL',
  'DADATA_TOKEN',
  'MYSQL_URL',
  'NODE_OPTIONS',
];

interface Health {
  live: boolean;
  ready: boolean;
  components: Record<string, { state: string; detail?: string; since: string }>;
}

async function writeConfig(config: Record<string, unknown>): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'crm-unify-ops-')), 'crm-unify.yaml');
  await writeFile(path, stringify(config));
  return path;
}

/** The real command line in its own process, as systemd or Kubernetes runs it. */
function start(configPath: string, topologies: string[], ...extra: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  for (const k of OVERRIDING_ENV) delete env[k];
  const child = spawn(process.execPath, [BIN, 'run', ...topologies, '--config', configPath, ...extra], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const lines = () => [...out.split('\n'), ...err.split('\n')].filter((l) => l.length > 0);
  const logs = () =>
    err
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, exited, output: () => ({ out, err }), lines, logs };
}

async function health(port: number): Promise<Health | undefined> {
  try {
    return (await (
      await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })
    ).json()) as Health;
  } catch {
    return undefined;
  }
}

async function until<T>(what: () => Promise<T | undefined | false>, timeoutMs: number, label: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(200);
  }
}

/** pino's shape: one JSON object per line with a numeric level, a time, pid, hostname and msg. */
function expectPinoLine(line: string): void {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`not a JSON line: ${line}`);
  }
  expect(parsed, line).toMatchObject({
    level: expect.any(Number),
    time: expect.any(Number),
    pid: expect.any(Number),
    hostname: expect.any(String),
    msg: expect.any(String),
  });
}

const runtime = { connectRetryBaseMs: 200, connectRetryMaxMs: 1000, readyGraceMs: 2000 };

describe('servers that are not up yet', () => {
  let d: Deployment;
  let mysqlProxy: TcpProxy;
  let kafkaProxy: TcpProxy;

  beforeAll(async () => {
    d = await deploy();
    const [mysqlPort, kafkaPort] = (await freePorts(2)) as [number, number];
    const db = new URL(d.mysqlUrl);
    const broker = (
      (d.config.sources as { shopB: { kafka: { brokers: string[] } } }).shopB.kafka.brokers[0] ?? ''
    ).split(':');
    mysqlProxy = tcpProxy(mysqlPort, { host: db.hostname, port: Number(db.port || 3306) });
    kafkaProxy = tcpProxy(kafkaPort, { host: broker[0]!, port: Number(broker[1]) });
  });
  afterAll(async () => {
    await mysqlProxy?.down();
    await kafkaProxy?.down();
    await d?.stop();
  });

  it('waits for MySQL and Kafka that are down at start, reports it truthfully, and loads everything once they are up', async () => {
    const [metricsPort] = (await freePorts(1)) as [number];
    const db = new URL(d.mysqlUrl);
    db.host = `127.0.0.1:${mysqlProxy.port}`;
    const sources = d.config.sources as {
      shopA: Record<string, unknown>;
      shopB: { dump: unknown; kafka: Record<string, unknown> };
    };
    const configPath = await writeConfig({
      ...d.config,
      metrics: { port: metricsPort },
      runtime: { ...(d.config.runtime as object), ...runtime },
      sources: {
        shopA: { ...sources.shopA, mysql: db.toString() },
        shopB: {
          dump: sources.shopB.dump,
          kafka: { ...sources.shopB.kafka, brokers: [`127.0.0.1:${kafkaProxy.port}`] },
        },
      },
    });
    const run = start(configPath, ['shop-a', 'shop-b']);
    try {
      // Both servers down: each source says so, readiness is false, the gauge is 0.
      const down = await until(
        async () => {
          const h = await health(metricsPort);
          const a = h?.components['source:shop-a.full'];
          const b = h?.components['sink:shop-b.dlq'];
          return a?.state === 'backing-off' && b?.state === 'backing-off' && h;
        },
        90_000,
        'both servers reported backing-off',
      );
      expect(down.ready).toBe(false);
      expect(down.live).toBe(true);
      expect(down.components['source:shop-a.full']?.detail).toMatch(/^ECONNREFUSED: /);
      expect(down.components['source:shop-b.kafka']?.state).toBe('connecting');
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain('crm_unify_component_up{component="source:shop-a.full"} 0');
      expect(metrics).toContain('crm_unify_component_up{component="sink:shop-b.dlq"} 0');

      // MySQL comes up: Shop A proceeds while Kafka is still down (still not ready).
      await mysqlProxy.up();
      const aUp = await until(
        async () => {
          const h = await health(metricsPort);
          const s = h?.components['source:shop-a.full']?.state ?? h?.components['source:shop-a.delta']?.state;
          return (s === 'running' || s === 'done') && h;
        },
        60_000,
        'shop-a running after MySQL came up',
      );
      expect(aUp.ready).toBe(false);

      // Kafka comes up: everything is loaded, nothing lost, ready.
      await kafkaProxy.up();
      const companies = d.ds.truth.counts.expectedCompanies!;
      const contacts = d.ds.truth.counts.expectedContacts!;
      await until(
        async () =>
          d.sandbox.portal.store.all('company').length >= companies &&
          d.sandbox.portal.store.all('contact').length >= contacts,
        120_000,
        'every company and contact in the CRM',
      );
      const up = await until(
        async () => {
          const h = await health(metricsPort);
          return h?.ready && h;
        },
        60_000,
        'ready',
      );
      expect(up.components['source:shop-b.kafka']?.state).toBe('running');
      const after = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(after).toContain('crm_unify_component_up{component="source:shop-b.kafka"} 1');
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited, run.output().err.slice(-2000)).toBe(0);

    // One log stream: every line on stdout and stderr is a pino JSON object (kafkajs routed in).
    const lines = run.lines();
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expectPinoLine(line);
    const logs = run.logs();
    // The outage was logged at warn with where and when, rate-limited, and the recovery once.
    const warnsA = logs.filter((l) => l.level === 40 && l.component === 'source:shop-a.full');
    expect(warnsA.length).toBeGreaterThanOrEqual(1);
    expect(warnsA.length).toBeLessThan(5);
    expect(warnsA[0]).toMatchObject({
      code: 'ECONNREFUSED',
      endpoint: `mysql://root@127.0.0.1:${mysqlProxy.port}/${new URL(d.mysqlUrl).pathname.slice(1)}`,
      nextRetryAt: expect.any(String),
    });
    expect(logs.filter((l) => l.component === 'source:shop-a.full' && String(l.msg).includes('again'))).toHaveLength(1);
    expect(logs.some((l) => l.component === 'sink:shop-b.dlq' && l.level === 40)).toBe(true);
    expect(run.output().out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.output().out)).toMatchObject({ msg: 'stopped', summary: expect.any(Object) });

    // Nothing lost, nothing twice: a --once pass (parked contacts are settled at its end) leaves
    // exactly the ground truth in the CRM, as after an uninterrupted run.
    const rest = start(configPath, ['shop-a', 'shop-b'], '--once');
    expect(await rest.exited, rest.output().err.slice(-2000)).toBe(0);
    const crmCompanies = d.sandbox.portal.store.all('company');
    expect(crmCompanies).toHaveLength(d.ds.truth.counts.expectedCompanies!);
    expect(new Set(crmCompanies.map((c) => c.fields.ORIGIN_ID)).size).toBe(crmCompanies.length);
    expect(d.sandbox.portal.store.all('contact')).toHaveLength(d.ds.truth.counts.expectedContacts!);
  });
});

describe('servers that never come up', () => {
  const offline = async (over: Record<string, unknown>) => {
    const [metricsPort, closed] = (await freePorts(2)) as [number, number];
    const path = await writeConfig({
      state: { dir: join(await mkdtemp(join(tmpdir(), 'crm-unify-ops-state-')), 'state') },
      metrics: { port: metricsPort },
      crm: { webhookUrl: 'http://127.0.0.1:9/rest/1/s3cret-hook/' },
      registry: { url: 'http://127.0.0.1:9', token: 't0ken-secret' },
      runtime: { ...runtime, connectTimeoutMs: 3000, shutdownTimeoutMs: 30_000 },
      ...over,
      sources: {
        shopA: { mysql: `mysql://reader:db-pa55word@127.0.0.1:${closed}/shop_a` },
        shopB: { kafka: { brokers: [`127.0.0.1:${closed}`] } },
      },
    });
    return { path, metricsPort, closed };
  };

  it('--once gives up after runtime.connectTimeoutMs with exit 1 and one line naming the source, endpoint and key', async () => {
    const { path, closed } = await offline({});
    for (const [topology, component, key] of [
      ['shop-a', 'source:shop-a.full', 'sources.shopA.mysql (or SHOP_A_MYSQL_URL)'],
      ['shop-b', 'sink:shop-b.dlq', 'sources.shopB.kafka.brokers (or KAFKA_BROKERS)'],
    ] as const) {
      const run = start(path, [topology], '--once');
      expect(await run.exited, run.output().err.slice(-2000)).toBe(1);
      for (const line of run.lines()) expectPinoLine(line);
      const failure = run.logs().filter((l) => Number(l.level) >= 50);
      expect(failure).toHaveLength(1);
      expect(failure[0]).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        component,
        setBy: key,
        lastErrorCode: 'ECONNREFUSED',
      });
      const msg = String(failure[0]!.msg);
      expect(msg).toContain(`${component} could not reach`);
      expect(msg).toContain(`127.0.0.1:${closed}`);
      expect(msg).toContain('within 3 s (runtime.connectTimeoutMs = 3000)');
      expect(msg).toContain(key);
      expect(msg).toMatch(/tried \d+ times, last error ECONNREFUSED/);
      expect(run.output().err).not.toContain('db-pa55word');
    }
  });

  it('SIGTERM while waiting for a server, with nothing in flight, exits 0 at once instead of waiting out the drain timeout', async () => {
    const { path, metricsPort } = await offline({});
    const run = start(path, ['shop-a']);
    await until(
      async () => (await health(metricsPort))?.components['source:shop-a.full']?.state === 'backing-off',
      60_000,
      'backing-off',
    );
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output().err.slice(-2000)).toBe(0);
    const tookMs = Date.now() - signalled;
    // The drain timeout is 30 s: an exit well inside it means nothing waited for it.
    expect(tookMs).toBeLessThan(10_000);
    const logs = run.logs();
    expect(logs.some((l) => l.msg === 'stopping: nothing in flight' && l.inFlight === 0)).toBe(true);
    expect(logs.some((l) => String(l.msg).includes('timed out'))).toBe(false);
    for (const line of run.lines()) expectPinoLine(line);
    console.log(`SIGTERM to exit while idle: ${tookMs} ms`);
  });
});
