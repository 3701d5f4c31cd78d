// One chaos load: generated data of both stores in a fresh MySQL database, a PRIVATE Kafka broker
// (stopped and restarted here without disturbing other suites) and the sandbox in this process
// (so the portal's state outlives the pipeline); the pipeline runs as a child process and is
// SIGKILLed at random moments and restarted, while the portal injects faults, the register goes
// down, the broker restarts, MySQL connections are killed and rows change. A final `--once` run
// drains everything, and verify.ts checks the outcome. RELIABILITY.md describes it.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import { generate, reachable, scales, type Dataset, type KafkaEvent, type Scale } from '../../src/gen/dataset.js';
import { loadShopA } from '../../src/gen/load-shop-a.js';
import { writeDataset } from '../../src/gen/write.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { openLevelStore } from '../../src/state/level-store.js';
import type { StateStats } from '../../src/state/store.js';
import { freshDatabase, uniqueTopic } from '../support/inject.js';
import { startKafka, type KafkaBroker } from '../support/kafka-broker.js';
import type { TestDatabase } from '../support/mysql-database.js';
import { freePorts } from '../support/net.js';
import { PipelineProcess, PROJECT_ROOT } from './pipeline-process.js';
import { verifyChaosOutcome, type RowUpdates, type VerifyReport } from './verify.js';

/** Faults on the portal for the whole load (DESIGN §5): 5% 503, 2% 500, 2% applied-but-lost, 5–50 ms latency. */
export const BASE_FAULTS = '503=0.05,500=0.02,lost=0.02,latency=5-50';

export interface ChaosOptions {
  /** SIGKILLs of the running pipeline (each followed by a restart, the last by the final --once run). */
  kills: number;
  /** Data volume as a multiple of the generator's `small` scale (120 + 200 companies). */
  scale: number;
  seed: number;
  /** Portal drain rate (requests/s) and bucket; low enough that the load lasts through the chaos. */
  portalRate: number;
  portalBurst: number;
  /** Random pause between a (re)start and the next kill, ms. */
  killDelayMs: [number, number];
  /** Register outage: this long answering 503, then this long refusing connections. */
  registerDownMs: [number, number];
  /** How long the broker stays down. */
  brokerDownMs: number;
  /** Keep the run directory (logs, data, state) even when the load passes. */
  keep: boolean;
  log: (message: string) => void;
}

export interface ChaosFigures {
  options: Omit<ChaosOptions, 'log'>;
  durationMs: number;
  dataset: Record<string, number>;
  kills: number;
  pipelineRuns: number;
  unexpectedExits: number;
  killMoments: { run: number; afterMs: number; portalWrites: number }[];
  portal: { requests: number; writes: number; faults: Record<string, number>; queryLimitExceeded: number; byStatus: Record<string, number> };
  register: { outageMs: number; down503Ms: number; refusedMs: number; requests: number; byStatus: Record<string, number> };
  broker: {
    restarts: number; crashes: number; downMs: number[];
    /** Per outage: the states /healthz gave `source:shop-b.kafka` while the broker was down, and once it was back. */
    health: Array<{ whileDown: string[]; afterBack: string | undefined }>;
  };
  mysql: { connectionsKilled: number; duringFull: number; duringDelta: number; rowsUpdated: { companies: number; contacts: number } };
  targetedCrash: { createsAppliedWithLostResponse: number; lostResponses: number };
  finalRun: { code: number | null; ms: number };
  rerunWrites: number;
  stateStats: StateStats;
  verify: VerifyReport['figures'];
}

export interface ChaosResult {
  report: VerifyReport;
  figures: ChaosFigures;
  runDir: string;
}

export function chaosOptionsFromEnv(defaults: Partial<ChaosOptions> & { kills: number; scale: number }): ChaosOptions {
  const num = (name: string, fallback: number) => {
    const v = process.env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
    return n;
  };
  const scale = num('CHAOS_SCALE', defaults.scale);
  return {
    kills: Math.max(1, Math.round(num('CHAOS_KILLS', defaults.kills))),
    scale,
    seed: num('CHAOS_SEED', defaults.seed ?? 7),
    portalRate: num('CHAOS_PORTAL_RATE', defaults.portalRate ?? 4),
    portalBurst: defaults.portalBurst ?? 6,
    killDelayMs: defaults.killDelayMs ?? [1_500, 4_000],
    registerDownMs: defaults.registerDownMs ?? [2_000, 2_000],
    brokerDownMs: defaults.brokerDownMs ?? 2_000,
    keep: process.env.CHAOS_KEEP === '1' || (defaults.keep ?? false),
    log: defaults.log ?? ((m) => process.stderr.write(`[chaos] ${m}\n`)),
  };
}

// Data whose truth the matching rules can reach (no namesakes, full names): the verifier asserts
// exactly the expected contacts, so a miss is a delivery fault, not a matching limit.
function chaosScale(f: number): Scale {
  const s = reachable(scales.small);
  return { ...s, shopACompanies: Math.max(10, Math.round(s.shopACompanies * f)), shopBCompanies: Math.max(15, Math.round(s.shopBCompanies * f)), overlap: Math.max(3, Math.round(s.overlap * f)) };
}

const between = ([lo, hi]: [number, number]) => lo + Math.floor(Math.random() * (hi - lo + 1));

type Action = 'full-conn-kill' | 'register-outage' | 'broker-restart' | 'delta-conn-kill' | 'broker-crash' | 'targeted-crash';

/** Which actions go with which kill: in this order, spread over the kills (several per kill when there are few). */
export function planActions(kills: number): Action[][] {
  const actions: Action[] = ['full-conn-kill', 'register-outage', 'broker-restart', 'delta-conn-kill'];
  if (kills >= 8) actions.push('broker-crash');
  actions.push('targeted-crash');
  const plan: Action[][] = Array.from({ length: kills }, () => []);
  actions.forEach((a, j) => plan[Math.min(kills - 1, Math.floor((j * kills) / actions.length))]!.push(a));
  return plan;
}

class Load {
  ds!: Dataset;
  runDir!: string;
  db!: TestDatabase;
  broker!: KafkaBroker;
  kafka!: Kafka;
  producer!: Producer;
  admin!: Admin;
  sandbox!: Sandbox;
  sql!: mysql.Connection;
  pipeline!: PipelineProcess;
  configPath!: string;
  topic = uniqueTopic('shop-b.crm.partners');
  groupId = uniqueTopic('crm-unify-chaos');
  updates: RowUpdates = { companyAddress: new Map(), contactPosition: new Map() };
  private pendingEvents: KafkaEvent[] = [];
  private reserved: KafkaEvent[] = [];
  private brokerUp = true;

  constructor(readonly o: ChaosOptions) {}

  async setup(): Promise<void> {
    const { o } = this;
    this.ds = generate(chaosScale(o.scale), o.seed);
    this.runDir = await mkdtemp(join(tmpdir(), 'crm-unify-chaos-'));
    const paths = await writeDataset(this.ds, this.runDir);
    this.db = await freshDatabase('chaos');
    const bare = new URL(this.db.url);
    bare.pathname = '/';
    // One connection without a default database: it loads and updates rows, and kills the
    // pipeline's connections (found by DB in the process list) without ever matching itself.
    this.sql = await mysql.createConnection({ uri: bare.toString(), charset: 'UTF8MB4_UNICODE_CI' });
    await this.sql.query(`USE \`${this.db.name}\``);
    await loadShopA(this.sql, this.ds.shopA);
    this.broker = await startKafka({ log: (m) => o.log(m) });
    this.kafka = new Kafka({ clientId: 'crm-unify-chaos', brokers: this.broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.admin.createTopics({ topics: [{ topic: this.topic, numPartitions: 3 }], waitForLeaders: true });
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    // A third of the change feed is there before the first start; the rest arrives during the
    // chaos, its last part just before the targeted crash (new partners: creates in flight).
    // The reserve is every event of some partners that only the feed knows (not in the dump):
    // new companies, so the targeted crash finds creates to interrupt. Per-key order is kept.
    const inDump = new Set(this.ds.shopB.dump.map((p) => p.partnerId));
    const feedOnly = [...new Set(this.ds.shopB.events.map((e) => e.key))].filter((k) => !inDump.has(k));
    const reserveKeys = new Set(feedOnly.slice(Math.floor(feedOnly.length / 2)));
    const events = this.ds.shopB.events.filter((e) => !reserveKeys.has(e.key));
    this.reserved = this.ds.shopB.events.filter((e) => reserveKeys.has(e.key));
    const first = Math.ceil(events.length * 0.35);
    await this.produce(events.slice(0, first));
    this.pendingEvents = events.slice(first);

    this.sandbox = await startSandbox({
      registry: this.ds.registry, rate: o.portalRate, burst: o.portalBurst, faults: BASE_FAULTS, faultSeed: o.seed,
      egrulLatencyMs: 20, egrulRateLimit: 1000,
    });
    const [metricsPort] = (await freePorts(1)) as [number];
    const config = {
      state: { dir: join(this.runDir, 'state') },
      metrics: { port: metricsPort, host: '127.0.0.1' },
      crm: { webhookUrl: this.sandbox.webhookUrl, rate: o.portalRate, burst: o.portalBurst, concurrency: 2, retryBaseMs: 100, retryMaxMs: 1_000, timeoutMs: 10_000 },
      registry: { url: this.sandbox.egrulUrl, token: this.sandbox.egrulToken, rate: 200, concurrency: 16, retryBaseMs: 100, retryMaxMs: 1_000, timeoutMs: 3_000 },
      runtime: { maxInFlight: 100, loadWindowMs: 100, loadMaxRecords: 100, shutdownTimeoutMs: 10_000 },
      sources: {
        shopA: { mysql: this.db.url, pageSize: 50, pollIntervalMs: 300, lookbackSeconds: 2, reconnectBaseMs: 100, reconnectMaxMs: 1_000 },
        shopB: {
          dump: { path: paths.shopBDump, encoding: 'windows-1251' },
          kafka: { brokers: this.broker.brokers, topic: this.topic, groupId: this.groupId, maxWaitMs: 300, commitIntervalMs: 500, sessionTimeoutMs: 6_000 },
        },
      },
    };
    this.configPath = join(this.runDir, 'crm-unify.yaml');
    await writeFile(this.configPath, stringify(config));
    this.pipeline = new PipelineProcess({ topologies: ['shop-a', 'shop-b'], configPath: this.configPath, metricsPort, logDir: this.runDir, log: o.log });
    this.tracePortal();
    o.log(`run dir ${this.runDir}: ${this.ds.truth.counts.expectedCompanies} companies and ${this.ds.truth.counts.expectedContacts} contacts expected; ${o.kills} kills`);
  }

  /** Every portal call (method, batch commands with their origin keys, answer, dropped or not) to portal-calls.jsonl, for diagnosis. */
  private tracePortal(): void {
    const portal = this.sandbox.portal;
    const file = join(this.runDir, 'portal-calls.jsonl');
    const original = portal.handle.bind(portal);
    const brief = (method: string, params: Record<string, unknown>) => {
      const fields = (params.fields ?? {}) as Record<string, unknown>;
      const filter = (params.filter ?? {}) as Record<string, unknown>;
      return `${method}${fields.ORIGIN_ID ?? fields.XML_ID ?? filter.ORIGIN_ID ?? filter.XML_ID ?? params.id ?? ''}`;
    };
    portal.handle = async (call) => {
      const at = Date.now();
      const answer = await original(call);
      const cmd = (call.params.cmd ?? {}) as Record<string, string>;
      const line = {
        at, ms: Date.now() - at, method: call.method, status: answer.status, drop: answer.drop,
        cmds: call.method === 'batch' ? Object.entries(cmd).map(([k, v]) => {
          const text = decodeURIComponent(String(v));
          const origin = /(?:ORIGIN_ID|XML_ID)\]=([^&]*)/.exec(text)?.[1] ?? /[?&]id=([^&]*)/.exec(text)?.[1] ?? '';
          return `${k}=${text.split('?')[0]} ${origin}`;
        }) : [brief(call.method, call.params)],
        result: call.method === 'batch' ? JSON.stringify((answer.body as { result?: unknown }).result ?? answer.body).slice(0, 600) : undefined,
      };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
      return answer;
    };
  }

  async produce(events: KafkaEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      await this.producer.send({ topic: this.topic, acks: -1, messages: events.slice(i, i + 500).map((e) => ({ key: e.key, value: e.value })) });
    }
  }

  /** Produces the next share of the change feed (the broker must be up). */
  async produceNext(share: number): Promise<void> {
    const n = Math.ceil(this.pendingEvents.length * share);
    await this.produce(this.pendingEvents.splice(0, n));
  }

  async produceRest(): Promise<void> {
    await this.produce(this.pendingEvents.splice(0));
    await this.produce(this.reserved.splice(0));
  }

  /** KILL CONNECTION for every connection of the pipeline (those using the test database). */
  async killMysqlConnections(): Promise<number> {
    const [rows] = await this.sql.query('SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [this.db.name]);
    let n = 0;
    for (const r of rows as { ID: number }[]) {
      try {
        await this.sql.query(`KILL CONNECTION ${Number(r.ID)}`);
        n++;
      } catch {
        // gone already
      }
    }
    return n;
  }

  /** Changes non-identity fields of a few rows (address, position) with updated_at = NOW(): work for the delta. */
  async updateRows(tag: string, companies: number, contacts: number): Promise<void> {
    const pick = <T extends { id: number }>(rows: T[], taken: Map<number, string>, n: number) => rows.filter((r) => !taken.has(r.id)).sort(() => Math.random() - 0.5).slice(0, n);
    const db = `\`${this.db.name}\``;
    for (const c of pick(this.ds.shopA.companies.filter((r) => r.status === 'active'), this.updates.companyAddress, companies)) {
      const address = `г. Хаос, ул. Сбойная, д. ${c.id} (${tag})`;
      await this.sql.query(`UPDATE ${db}.companies SET address = ?, updated_at = NOW() WHERE id = ?`, [address, c.id]);
      this.updates.companyAddress.set(c.id, address);
    }
    for (const c of pick(this.ds.shopA.contacts, this.updates.contactPosition, contacts)) {
      const position = `Инженер по отказам ${c.id} (${tag})`;
      await this.sql.query(`UPDATE ${db}.contacts SET position = ?, updated_at = NOW() WHERE id = ?`, [position, c.id]);
      this.updates.contactPosition.set(c.id, position);
    }
  }

  async brokerDown(crash: boolean): Promise<void> {
    this.brokerUp = false;
    await (crash ? this.broker.kill() : this.broker.stop());
  }

  async brokerBack(): Promise<void> {
    await this.broker.start();
    this.brokerUp = true;
  }

  get isBrokerUp(): boolean {
    return this.brokerUp;
  }

  async stateStats(): Promise<StateStats> {
    const out = await new Promise<string>((resolve, reject) => {
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'crm-unify.js'), 'state', 'stats', '--json', '--config', this.configPath], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => { text += b.toString(); });
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`state stats exited ${code}: ${err}`))));
    });
    return JSON.parse(out) as StateStats;
  }

  async dispose(failed: boolean): Promise<void> {
    await this.pipeline?.dispose().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
    await this.broker?.dispose().catch(() => {});
    await this.sandbox?.stop().catch(() => {});
    await this.sql?.end().catch(() => {});
    await this.db?.drop().catch(() => {});
    if (this.runDir) {
      if (failed || this.o.keep) this.o.log(`run dir kept for diagnosis: ${this.runDir} (pipeline logs run-*.std*.log, figures.json)`);
      else await rm(this.runDir, { recursive: true, force: true });
    }
  }
}

const addMethods = ['crm.company.add', 'crm.contact.add', 'crm.requisite.add', 'crm.requisite.bankdetail.add'];

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const load = new Load(o);
  let failed = true;
  try {
    await load.setup();
    const { pipeline, sandbox } = load;
    const portal = sandbox.portal;
    const adds = () => addMethods.reduce((n, m) => n + (portal.counters.commandsByMethod[m] ?? 0), 0);
    const figures = {
      killMoments: [] as ChaosFigures['killMoments'],
      register: { outageMs: 0, down503Ms: 0, refusedMs: 0 },
      broker: { restarts: 0, crashes: 0, downMs: [] as number[], health: [] as ChaosFigures['broker']['health'] },
      mysql: { connectionsKilled: 0, duringFull: 0, duringDelta: 0 },
      targetedCrash: { createsAppliedWithLostResponse: 0, lostResponses: 0 },
    };
    const background: Promise<void>[] = [];
    const component = async (name: string) => (await pipeline.health())?.components[`source:${name}`]?.state;
    const waitFor = async (what: () => Promise<boolean> | boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (await what()) return true;
        await sleep(100);
      }
      return false;
    };

    pipeline.supervise(true);
    await pipeline.start();
    const plan = planActions(o.kills);
    o.log(`plan: ${plan.map((a, i) => `kill ${i + 1}: ${a.join('+') || 'random'}`).join('; ')}`);
    for (let i = 0; i < o.kills; i++) {
      const startedAt = Date.now();
      const actions = plan[i]!;
      if (load.isBrokerUp && i > 0) await load.produceNext(1 / Math.max(1, o.kills - i));
      let delay = between(o.killDelayMs);
      for (const action of actions) {
        switch (action) {
          case 'full-conn-kill': {
            // Rows change while the full extract runs; then its connection is killed under it.
            await load.updateRows('full', 5, 5);
            await sleep(between([300, 800]));
            const state = await component('shop-a.full');
            const n = await load.killMysqlConnections();
            figures.mysql.connectionsKilled += n;
            figures.mysql.duringFull += n;
            o.log(`killed ${n} MySQL connections (shop-a.full ${state ?? 'unknown'})`);
            break;
          }
          case 'register-outage': {
            const [d503, dRefuse] = o.registerDownMs;
            background.push((async () => {
              const from = Date.now();
              await sandbox.egrul.setDown('503');
              o.log('register down (503)');
              await sleep(d503);
              figures.register.down503Ms = Date.now() - from;
              const refuseFrom = Date.now();
              await sandbox.egrul.setDown('refuse');
              o.log('register down (connection refused)');
              await sleep(dRefuse);
              await sandbox.egrul.setDown(false);
              figures.register.refusedMs = Date.now() - refuseFrom;
              figures.register.outageMs = Date.now() - from;
              o.log(`register back after ${figures.register.outageMs} ms`);
            })());
            break;
          }
          case 'broker-restart':
          case 'broker-crash': {
            // Stop the broker while the pipeline consumes (events are waiting on the topic).
            await load.produceNext(0.5);
            await waitFor(async () => (await component('shop-b.kafka')) === 'running', 15_000);
            await sleep(between([300, 1_000]));
            const from = Date.now();
            await load.brokerDown(action === 'broker-crash');
            o.log(`broker ${action === 'broker-crash' ? 'crashed (SIGKILL)' : 'stopped'} (shop-b.kafka ${(await component('shop-b.kafka')) ?? 'unknown'})`);
            // /healthz must tell: the broker stays down at least brokerDownMs, and until the
            // source reports it is backing off (kafkajs notices at its next request), at most 8 s more.
            const whileDown = new Set<string>();
            await waitFor(async () => {
              const state = await component('shop-b.kafka');
              if (state) whileDown.add(state);
              return Date.now() - from >= o.brokerDownMs && whileDown.has('backing-off');
            }, o.brokerDownMs + 8_000);
            await load.brokerBack();
            figures.broker.downMs.push(Date.now() - from);
            const back = await waitFor(async () => (await component('shop-b.kafka')) === 'running', 20_000);
            figures.broker.health.push({ whileDown: [...whileDown], afterBack: back ? 'running' : await component('shop-b.kafka') });
            o.log(`broker back; /healthz gave shop-b.kafka ${[...whileDown].join(', ')} while it was down, ${back ? 'running' : 'not running'} after`);
            if (action === 'broker-crash') figures.broker.crashes++;
            else figures.broker.restarts++;
            delay = Math.min(delay, 1_500);
            break;
          }
          case 'delta-conn-kill': {
            // The delta must have work: rows change, then its connection is killed.
            const inDelta = await waitFor(async () => (await component('shop-a.delta')) === 'running', 30_000);
            await load.updateRows('delta', 8, 8);
            await sleep(between([300, 800]));
            const n = await load.killMysqlConnections();
            figures.mysql.connectionsKilled += n;
            figures.mysql.duringDelta += n;
            o.log(`killed ${n} MySQL connections (shop-a.delta ${inDelta ? 'running' : 'not yet running'})`);
            break;
          }
          case 'targeted-crash':
            break; // below, instead of the plain kill
        }
      }
      if (actions.includes('targeted-crash')) {
        // Every write applied and its answer dropped; kill while creates are in flight, restart with faults off.
        await load.produceRest();
        await sleep(between([300, 800]));
        const before = { adds: adds(), lost: portal.counters.faults.lost };
        portal.setFaults('lost=1');
        await waitFor(() => adds() > before.adds && portal.counters.faults.lost > before.lost, 30_000);
        await sleep(between([100, 600]));
        figures.killMoments.push({ run: pipeline.runs.length, afterMs: Date.now() - startedAt, portalWrites: portal.counters.writes });
        await pipeline.kill();
        figures.targetedCrash = { createsAppliedWithLostResponse: adds() - before.adds, lostResponses: portal.counters.faults.lost - before.lost };
        portal.setFaults('');
        o.log(`targeted crash: ${figures.targetedCrash.createsAppliedWithLostResponse} creates applied with their answers lost, then SIGKILL`);
        if (i < o.kills - 1) {
          await pipeline.start();
          const writes = portal.counters.writes;
          await waitFor(() => portal.counters.writes > writes, 5_000);
          portal.setFaults(BASE_FAULTS, o.seed + i);
        }
        continue;
      }
      await sleep(Math.max(0, delay - (Date.now() - startedAt)) + between([0, 500]));
      figures.killMoments.push({ run: pipeline.runs.length, afterMs: Date.now() - startedAt, portalWrites: portal.counters.writes });
      o.log(`kill ${i + 1}/${o.kills} (run ${pipeline.runs.length}, ${Date.now() - startedAt} ms after its start, ${portal.counters.writes} portal writes so far)`);
      await pipeline.kill();
      if (i < o.kills - 1) await pipeline.start();
    }
    pipeline.supervise(false);
    await Promise.all(background);
    if (!load.isBrokerUp) await load.brokerBack();
    await load.produceRest();

    // The final run drains everything, with the portal's faults still on.
    portal.setFaults(BASE_FAULTS, o.seed + 1000);
    const finalFrom = Date.now();
    await pipeline.start({ once: true, readyTimeoutMs: 60_000 });
    const final = await pipeline.waitForExit(600_000);
    const finalMs = Date.now() - finalFrom;
    o.log(`final --once run exited ${final.code} in ${finalMs} ms`);
    if (final.code !== 0) throw new Error(`the final --once run exited ${final.code}; see ${final.stderr}`);

    // A rerun of everything changes nothing in the CRM (replay = zero writes).
    portal.setFaults('');
    const writesBefore = portal.counters.writes;
    await pipeline.start({ once: true });
    const rerun = await pipeline.waitForExit(300_000);
    if (rerun.code !== 0) throw new Error(`the rerun exited ${rerun.code}; see ${rerun.stderr}`);
    const rerunWrites = portal.counters.writes - writesBefore;

    const stateStats = await load.stateStats();
    const store = await openLevelStore(join(load.runDir, 'state'));
    let report: VerifyReport;
    try {
      report = await verifyChaosOutcome({
        ds: load.ds, portal: portal.store, store, kafka: { admin: load.admin, topic: load.topic, groupId: load.groupId }, updates: load.updates,
      });
    } finally {
      await store.close();
    }
    if (stateStats.pending !== 0) report.problems.push(`state stats: ${stateStats.pending} golden records pending after the final run`);
    if (rerunWrites !== 0) report.problems.push(`a rerun after the final run made ${rerunWrites} CRM writes`);
    report.ok = report.problems.length === 0;

    const c = portal.counters;
    const result: ChaosFigures = {
      options: { kills: o.kills, scale: o.scale, seed: o.seed, portalRate: o.portalRate, portalBurst: o.portalBurst, killDelayMs: o.killDelayMs, registerDownMs: o.registerDownMs, brokerDownMs: o.brokerDownMs, keep: o.keep },
      durationMs: Date.now() - t0,
      dataset: load.ds.truth.counts,
      kills: pipeline.runs.filter((r) => r.killed).length,
      pipelineRuns: pipeline.runs.length,
      unexpectedExits: pipeline.unexpectedExits,
      killMoments: figures.killMoments,
      portal: { requests: c.requests, writes: c.writes, faults: { ...c.faults }, queryLimitExceeded: c.queryLimitExceeded, byStatus: { ...c.byStatus } },
      register: { ...figures.register, requests: sandbox.egrul.counters.requests, byStatus: { ...sandbox.egrul.counters.byStatus } },
      broker: figures.broker,
      mysql: { ...figures.mysql, rowsUpdated: { companies: load.updates.companyAddress.size, contacts: load.updates.contactPosition.size } },
      targetedCrash: figures.targetedCrash,
      finalRun: { code: final.code ?? null, ms: finalMs },
      rerunWrites,
      stateStats,
      verify: report.figures,
    };
    await writeFile(join(load.runDir, 'figures.json'), JSON.stringify({ figures: result, problems: report.problems }, null, 2));
    o.log(`figures: ${JSON.stringify(result)}`);
    if (!report.ok) await writeFile(join(load.runDir, 'portal-store.json'), JSON.stringify(portal.store.snapshot()));
    if (!report.ok) o.log(`PROBLEMS:\n  ${report.problems.join('\n  ')}`);
    failed = !report.ok;
    return { report, figures: result, runDir: load.runDir };
  } finally {
    await load.dispose(failed);
  }
}
