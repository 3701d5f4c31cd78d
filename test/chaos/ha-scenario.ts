// The high-availability chaos profile (RELIABILITY.md "High availability chaos profile"): the
// chaos load's data, sources, private broker and faulty portal (scenario.ts's Load), driven by TWO
// instances of `crm-unify run` with `ha.enabled: true` — separate state dirs and metrics ports, one
// config otherwise. The active one is SIGKILLed at random moments (some of them between a create
// and its answer, aimed by the portal as the chaos suite's targeted crash), the standby must take
// over, and the killed one comes back as the standby. The takeover time is measured from the kill
// until the survivor reports `crm_unify_role{role="active"} 1` and one of its sources runs. A final
// `--once` run drains the load and verify.ts checks the CRM against the generator's truth.
//
// runColdRestore is the other half of the issue's "Done when": one instance, no standby, killed,
// its state dir deleted, `crm-unify state restore` from the changelog, `state verify`, a `--once`
// run — zero twins, zero lost.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { openLevelStore } from '../../src/state/level-store.js';
import type { StateStats } from '../../src/state/store.js';
import { uniqueTopic } from '../support/inject.js';
import { freePorts } from '../support/net.js';
import { tailOf } from '../support/processes.js';
import { PipelineProcess, type RunRecord } from './pipeline-process.js';
import { BASE_FAULTS, between, Load, type ChaosOptions, type LostCreate } from './scenario.js';
import { verifyChaosOutcome, type VerifyReport } from './verify.js';

export interface HaChaosOptions {
  /** SIGKILLs of the active instance, each followed by a takeover and a restart of the killed one. */
  kills: number;
  /**
   * Kills (1-based) that become a double failure: once the survivor reports active — inside its
   * takeover, before its sources run — it is SIGKILLed too (after 0–1.5 s), both restart, and one
   * must take over. Never an aimed kill.
   */
  doubleKills: number[];
  /** Every targetedEvery-th kill (the 2nd, then every targetedEvery-th after it) is aimed between a create and its answer. */
  targetedEvery: number;
  /** Data volume as a multiple of `gen --scale small`. */
  scale: number;
  seed: number;
  portalRate: number;
  portalBurst: number;
  /** Random pause between the active instance running its sources and its kill, ms. */
  killDelayMs: [number, number];
  /** ha.sessionTimeoutMs: how long the lease outlives a dead active instance. */
  sessionTimeoutMs: number;
  /** Give up waiting for a takeover after this long (the kill is then counted as one without a takeover). */
  takeoverTimeoutMs: number;
  keep: boolean;
  log: (message: string) => void;
}

export type Role = 'active' | 'standby';

export interface Takeover {
  kill: number;
  targeted: boolean;
  from: string;
  to: string;
  /** Portal writes (commands applied) so far when the kill came: how far the load was. */
  portalWritesAtKill: number;
  /** Kill → the survivor reports role active (/metrics crm_unify_role, or /healthz). */
  activeMs: number | null;
  /** Kill → role active and one of its sources running: the takeover time. */
  ms: number | null;
  /**
   * The survivor's own figure: `crm_unify_takeover_duration_seconds` (from the lease acquired to
   * the sources resumed), else a takeover time it logged; null when it reports none.
   */
  reportedMs: number | null;
  /** The killed instance, restarted, reported standby. */
  restartedAsStandby: boolean;
}

export interface DoubleFailure {
  kill: number;
  first: string;
  second: string;
  /** First kill → the second (the survivor, killed during its takeover). */
  secondKillAfterMs: number;
  /** First kill → the survivor reported active. */
  survivorActiveMs: number | null;
  /** Second kill → one instance active with a source running (both restarted at once); null: none within the timeout. */
  recoveredMs: number | null;
  active: string | null;
  /** The other one reported standby then. */
  otherStandby: boolean;
}

export interface TargetedKill {
  kill: number;
  /** Creates the portal applied in the call whose answer it dropped (the kill came from inside that call). */
  lostCreates: LostCreate[];
  /** Of those, the ones the killed instance's state did not know at the kill. */
  unsettledAtKill: LostCreate[];
}

export interface HaFigures {
  options: Omit<HaChaosOptions, 'log'>;
  durationMs: number;
  dataset: Record<string, number>;
  kills: number;
  takeovers: Takeover[];
  doubleFailures: DoubleFailure[];
  takeoverMs: { n: number; p50: number | null; p95: number | null; max: number | null; failed: number };
  /** Kills aimed between a create and its answer, and those where a create did come (else a plain kill after the wait). */
  targeted: {
    aimed: number;
    landed: number;
    unsettled: number;
    /** Companies created under a lost answer, those adopted (not twinned), and of those the ones a later feed delete removed. */
    companies: number;
    adoptedCompanies: number;
    deletedLater: number;
  };
  targetedKills: TargetedKill[];
  unexpectedExits: number;
  /** ORIGIN_IDs the portal created more than one company for during the whole run (reported: a delete and a later upsert may do it). */
  companyOriginsCreatedTwice: string[];
  /**
   * Checks (before each kill and after each restart) that found both instances active, or the
   * instance about to be killed not active / the other not standby: must be 0.
   */
  splitBrainSightings: number;
  roleAnomalies: string[];
  portal: { requests: number; writes: number; faults: Record<string, number> };
  finalRun: { instance: string; code: number | null; ms: number };
  /** `crm-unify state verify` on the final instance's dir after the final run. */
  stateVerify: { code: number; output: string };
  stateStats: StateStats;
  verify: VerifyReport['figures'];
}

export interface HaResult {
  report: VerifyReport;
  figures: HaFigures;
  runDir: string;
}

/** Nearest-rank percentile of `xs` (p in 0..1); null when empty. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export async function waitFor(
  what: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await what()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

async function text(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return await res.text();
  } catch {
    return undefined;
  }
}

/** One HA instance: its own config file (state dir, metrics port), log dir and process. */
export class HaInstance {
  readonly proc: PipelineProcess;

  constructor(
    readonly name: string,
    readonly configPath: string,
    readonly stateDir: string,
    readonly metricsPort: number,
    logDir: string,
    log: (m: string) => void,
  ) {
    this.proc = new PipelineProcess({
      topologies: ['shop-a', 'shop-b'],
      configPath,
      metricsPort,
      logDir,
      log: (m) => log(`${name}: ${m}`),
    });
  }

  /**
   * The role the instance reports: `crm_unify_role{role="active"|"standby"} 1` on /metrics, else
   * an `ha…` component on /healthz naming it; undefined when it does not answer or says neither.
   */
  async role(): Promise<Role | undefined> {
    const metrics = await text(`http://127.0.0.1:${this.metricsPort}/metrics`);
    if (metrics !== undefined) {
      for (const m of metrics.matchAll(/^crm_unify_role\{([^}]*)\}\s+(\S+)/gm)) {
        const role = /role="(active|standby)"/.exec(m[1]!)?.[1] as Role | undefined;
        if (role && Number(m[2]) === 1) return role;
      }
    }
    const health = await this.proc.health();
    for (const [name, c] of Object.entries(health?.components ?? {})) {
      if (!/^ha\b/.test(name)) continue;
      const said = `${name} ${c.state} ${c.detail ?? ''}`;
      if (/\bactive\b/.test(said)) return 'active';
      if (/\bstandby\b/.test(said)) return 'standby';
    }
    return undefined;
  }

  /** The sources /healthz reports `running`. */
  async sourcesRunning(): Promise<string[]> {
    const health = await this.proc.health();
    return Object.entries(health?.components ?? {})
      .filter(([name, c]) => name.startsWith('source:') && c.state === 'running')
      .map(([name]) => name);
  }

  /** Active and running a source: what a takeover ends with. */
  async serving(): Promise<boolean> {
    return (await this.role()) === 'active' && (await this.sourcesRunning()).length > 0;
  }

  /** `crm_unify_takeover_duration_seconds` in ms when positive, else the takeover time logged after `since`. */
  async reportedTakeoverMs(since: number): Promise<number | null> {
    const metrics = await text(`http://127.0.0.1:${this.metricsPort}/metrics`);
    const s = Number(/^crm_unify_takeover_duration_seconds\s+(\S+)/m.exec(metrics ?? '')?.[1]);
    if (Number.isFinite(s) && s > 0) return Math.round(s * 1000);
    return this.loggedTakeoverMs(since);
  }

  /**
   * The takeover time the current run logged after `since`, if it logs one: a pino line whose msg
   * mentions a takeover, with a numeric field in ms (takeoverMs, ms, durationMs, …).
   */
  loggedTakeoverMs(since: number): number | null {
    const record = this.proc.runs.at(-1);
    if (!record) return null;
    let text = '';
    try {
      text = tailOf(record.stderr, 400);
    } catch {
      return null;
    }
    for (const line of text.split('\n')) {
      if (!/take.?over|took over/i.test(line)) continue;
      try {
        const l = JSON.parse(line) as Record<string, unknown>;
        if (typeof l.time === 'number' && l.time < since) continue;
        for (const [k, v] of Object.entries(l))
          if (typeof v === 'number' && /ms$/i.test(k) && k !== 'time') return Math.round(v);
      } catch {
        // not a pino line
      }
    }
    return null;
  }
}

/** Builds the Load (scenario.ts) from HA options: the chaos load's data, broker, database and portal. */
function chaosOptions(o: HaChaosOptions): ChaosOptions {
  return {
    kills: o.kills,
    scale: o.scale,
    seed: o.seed,
    portalRate: o.portalRate,
    portalBurst: o.portalBurst,
    killDelayMs: o.killDelayMs,
    registerDownMs: [0, 0],
    brokerDownMs: 0,
    keep: o.keep,
    shopAMode: 'poll',
    log: o.log,
  };
}

/**
 * Instance configs: the chaos load's config with `ha` on (the private broker, an app name no other
 * run uses, sessionTimeoutMs from the options), each with its own state dir and metrics port.
 */
async function haInstances(load: Load, o: HaChaosOptions, names: string[]): Promise<HaInstance[]> {
  const base = parse(await readFile(load.configPath, 'utf8')) as Record<string, unknown> & {
    sources: { shopB: { kafka: { brokers: string[] } } };
  };
  const app = uniqueTopic('crm-unify-ha');
  const ports = await freePorts(names.length);
  const out: HaInstance[] = [];
  for (const [i, name] of names.entries()) {
    const stateDir = join(load.runDir, `state-${name}`);
    const logDir = join(load.runDir, name);
    await mkdir(logDir, { recursive: true });
    const config = {
      ...base,
      state: { dir: stateDir },
      metrics: { port: ports[i]!, host: '127.0.0.1' },
      ha: {
        enabled: true,
        brokers: [...base.sources.shopB.kafka.brokers],
        app,
        sessionTimeoutMs: o.sessionTimeoutMs,
        heartbeatIntervalMs: Math.min(1_000, Math.floor(o.sessionTimeoutMs / 3)),
      },
    };
    const configPath = join(load.runDir, `crm-unify-${name}.yaml`);
    await writeFile(configPath, stringify(config));
    out.push(new HaInstance(name, configPath, stateDir, ports[i]!, logDir, o.log));
  }
  o.log(`HA app ${app}: instances ${out.map((x) => `${x.name} (metrics :${x.metricsPort})`).join(', ')}`);
  return out;
}

/** `crm-unify <args> --config <file>`: its exit code and output (stdout + stderr), never a rejection. */
async function cliCode(load: Load, args: string[], configPath: string): Promise<{ code: number; output: string }> {
  try {
    return { code: 0, output: await load.cli(args, configPath) };
  } catch (e) {
    const m = /exited (\d+|null)/.exec(String(e));
    return { code: m?.[1] === undefined || m[1] === 'null' ? -1 : Number(m[1]), output: String(e) };
  }
}

/**
 * Arms the portal (other faults off): the first call that applies a company or contact create has
 * its answer dropped and `victim` is SIGKILLed from inside that call, before the socket closes.
 * With `companyFirstMs`, for that long only a call that creates a company kills (one that creates
 * contacts only just loses its answer, as the `lost` fault does). Resolves with the creates and
 * the kill time, or undefined when no create came within `waitMs`.
 */
async function killBetweenCreateAndAnswer(
  load: Load,
  victim: PipelineProcess,
  waitMs: number,
  companyFirstMs = 0,
): Promise<{ lost: LostCreate[]; at: number } | undefined> {
  const armedAt = Date.now();
  const hit = new Promise<{ lost: LostCreate[]; at: number }>((resolve) => {
    load.onLostCreates = (lost) => {
      if (Date.now() - armedAt < companyFirstMs && !lost.some((c) => c.entity === 'company')) return;
      load.onLostCreates = undefined;
      const at = Date.now();
      void victim.killNow();
      resolve({ lost, at });
    };
  });
  load.sandbox.portal.setFaults('');
  const r = await Promise.race([hit, sleep(waitMs).then(() => undefined)]);
  load.onLostCreates = undefined;
  return r;
}

/** Verifies the outcome against the state dir of the instance that ran last (verify.ts), plus state stats. */
async function verifyAt(
  load: Load,
  inst: HaInstance,
): Promise<{ report: VerifyReport; stateStats: StateStats; stateVerify: { code: number; output: string } }> {
  const stateStats = await load.stateStats(inst.configPath);
  const stateVerify = await cliCode(load, ['state', 'verify'], inst.configPath);
  const store = await openLevelStore(inst.stateDir);
  let report: VerifyReport;
  try {
    report = await verifyChaosOutcome({
      ds: load.ds,
      portal: load.sandbox.portal.store,
      store,
      kafka: { admin: load.admin, topic: load.topic, groupId: load.groupId },
      updates: load.updates,
    });
  } finally {
    await store.close();
  }
  if (stateStats.pending !== 0)
    report.problems.push(`state stats: ${stateStats.pending} golden records pending after the final run`);
  if (stateVerify.code !== 0)
    report.problems.push(
      `state verify exited ${stateVerify.code} after the final run: ${stateVerify.output.slice(0, 2_000)}`,
    );
  report.ok = report.problems.length === 0;
  return { report, stateStats, stateVerify };
}

/** Every company the portal creates, by ORIGIN_ID (the INN): a twin is a second id for one ORIGIN_ID. */
function trackCompanyCreates(load: Load): Map<string, number[]> {
  const creates = new Map<string, number[]>();
  const store = load.sandbox.portal.store;
  const add = store.add.bind(store);
  store.add = (entity, fields, multi) => {
    const id = add(entity, fields, multi);
    if (entity === 'company') {
      const origin = String(fields.ORIGIN_ID ?? '');
      creates.set(origin, [...(creates.get(origin) ?? []), id]);
    }
    return id;
  };
  return creates;
}

/**
 * Each company created under a lost answer was adopted, not twinned: when the truth expects it,
 * the CRM holds it exactly once, as that very entity; when a later delete in the feed removed
 * it (the truth does not expect it), the CRM holds none and the portal never created another
 * company with its ORIGIN_ID.
 */
function adopted(
  load: Load,
  unsettled: LostCreate[],
  creates: Map<string, number[]>,
): { companies: number; adopted: number; deletedLater: number } {
  const companies = unsettled.filter((c) => c.entity === 'company');
  const expected = new Set(load.ds.truth.companies);
  const store = load.sandbox.portal.store;
  let ok = 0;
  let deletedLater = 0;
  for (const c of companies) {
    const same = store.all('company').filter((e) => String(e.fields.ORIGIN_ID ?? '') === c.origin);
    const made = creates.get(c.origin) ?? [];
    if (expected.has(c.origin)) {
      if (same.length === 1 && same[0]!.id === c.id) ok++;
    } else if (same.length === 0 && made.every((id) => id === c.id)) {
      ok++;
      deletedLater++;
    }
  }
  return { companies: companies.length, adopted: ok, deletedLater };
}

async function finish(load: Load, failed: boolean, instances: HaInstance[]): Promise<void> {
  for (const x of instances) await x.proc.dispose().catch(() => {});
  await load.dispose(failed);
}

export async function runHaChaos(o: HaChaosOptions): Promise<HaResult> {
  const t0 = Date.now();
  const load = new Load(chaosOptions(o));
  let failed = true;
  let instances: HaInstance[] = [];
  try {
    await load.setup();
    const portal = load.sandbox.portal;
    const creates = trackCompanyCreates(load);
    instances = await haInstances(load, o, ['a', 'b']);
    const [a, b] = instances as [HaInstance, HaInstance];
    const takeovers: Takeover[] = [];
    const targetedKills: TargetedKill[] = [];
    const doubleFailures: DoubleFailure[] = [];
    let aimed = 0;
    let splitBrain = 0;
    const roleAnomalies: string[] = [];

    // A first: it takes the lease (nobody else holds it) and runs; then B, which must stay standby.
    for (const x of instances) x.proc.supervise(true);
    await a.proc.start();
    if (!(await waitFor(() => a.serving(), 60_000)))
      throw new Error(`instance a never became active and ran its sources; ${a.proc.runs.at(-1)?.stderr}`);
    await b.proc.start();
    if (!(await waitFor(async () => (await b.role()) === 'standby', 60_000)))
      throw new Error(`instance b never reported standby (role ${await b.role()}); ${b.proc.runs.at(-1)?.stderr}`);
    o.log(`a active, b standby; ${o.kills} kills of the active instance follow`);

    let active: HaInstance = a;
    for (let i = 0; i < o.kills; i++) {
      const standby = active === a ? b : a;
      const targeted = i % o.targetedEvery === 1 % o.targetedEvery;
      const double = !targeted && o.doubleKills.includes(i + 1);
      await load.produceNext(1 / Math.max(1, o.kills - i));
      if (i % 2 === 0) await load.updateRows(`ha-${i + 1}`, 2, 2); // work for the delta
      await sleep(between(o.killDelayMs));
      const killed = active;
      const roles = [await killed.role(), await standby.role()];
      if (roles[0] === 'active' && roles[1] === 'active') splitBrain++;
      if (roles[0] !== 'active' || roles[1] !== 'standby')
        roleAnomalies.push(`before kill ${i + 1}: ${killed.name} ${roles[0]}, ${standby.name} ${roles[1]}`);
      const writesBefore = portal.counters.writes;
      let killAt: number;
      let target: TargetedKill | undefined;
      if (targeted) {
        aimed++;
        // New partners only the feed knows: creates for the portal to catch.
        await load.produceReserve(1 / Math.max(1, Math.ceil((o.kills - i) / o.targetedEvery)));
        const hit = await killBetweenCreateAndAnswer(load, killed.proc, 20_000);
        if (hit) {
          killAt = hit.at;
          target = { kill: i + 1, lostCreates: hit.lost, unsettledAtKill: [] };
        } else {
          killAt = Date.now();
          o.log(`kill ${i + 1}: no create within 20 s; a plain kill instead`);
          await killed.proc.kill();
        }
      } else {
        killAt = Date.now();
        await killed.proc.kill();
      }
      await killed.proc.kill(); // resolves once it is gone (the targeted kill only sent the signal)
      o.log(
        `kill ${i + 1}/${o.kills}: ${killed.name} (${targeted ? (target ? 'between a create and its answer' : 'aimed, plain') : 'random moment'}, ${writesBefore} portal writes so far)`,
      );

      // The survivor must take over; meanwhile the killed instance's state is read (it is not running).
      let activeMs: number | null = null;
      const [took] = await Promise.all([
        waitFor(
          async () => {
            const role = await standby.role();
            if (role === 'active' && activeMs === null) activeMs = Date.now() - killAt;
            if (double) return role === 'active';
            return role === 'active' && (await standby.sourcesRunning()).length > 0;
          },
          o.takeoverTimeoutMs,
          double ? 50 : 100,
        ),
        (async () => {
          if (target) target.unsettledAtKill = await load.unsettled(target.lostCreates, killed.stateDir);
        })(),
      ]);
      if (double) {
        // The survivor dies inside its takeover (catch-up, settling what was left pending); with
        // nobody standing by, both come back at once and one of them must take over.
        await sleep(between([0, 1_500]));
        const secondAt = Date.now();
        const stage = (await standby.sourcesRunning()).length > 0 ? 'its sources already running' : 'in its takeover';
        await standby.proc.kill();
        o.log(
          `kill ${i + 1}: double failure: ${standby.name} (active ${activeMs} ms after the first kill) killed ${secondAt - killAt} ms after it, ${stage}`,
        );
        await Promise.all([killed.proc.start(), standby.proc.start()]);
        let winner: HaInstance | undefined;
        const recovered = await waitFor(async () => {
          const serving = [await killed.serving(), await standby.serving()];
          if (serving[0] && serving[1]) splitBrain++;
          if (serving[0] !== serving[1]) winner = serving[0] ? killed : standby;
          return winner !== undefined;
        }, o.takeoverTimeoutMs);
        const other = winner === killed ? standby : killed;
        const otherRole = winner ? await other.role() : undefined;
        doubleFailures.push({
          kill: i + 1,
          first: killed.name,
          second: standby.name,
          secondKillAfterMs: secondAt - killAt,
          survivorActiveMs: activeMs,
          recoveredMs: recovered ? Date.now() - secondAt : null,
          active: winner?.name ?? null,
          otherStandby: otherRole === 'standby',
        });
        o.log(
          `kill ${i + 1}: after the double failure ${winner ? `${winner.name} took over ${Date.now() - secondAt} ms after the second kill, ${other.name} ${otherRole ?? 'no role'}` : `NO instance took over within ${o.takeoverTimeoutMs} ms`}`,
        );
        if (!winner) throw new Error(`no instance took over after the double failure at kill ${i + 1}`);
        active = winner;
        continue;
      }
      const ms = took ? Date.now() - killAt : null;
      if (target) {
        targetedKills.push(target);
        portal.setFaults(BASE_FAULTS, o.seed + i);
      }
      const reportedMs = await standby.reportedTakeoverMs(killAt);
      o.log(
        `kill ${i + 1}: ${standby.name} ${took ? `took over in ${ms} ms (active after ${activeMs} ms${reportedMs !== null ? `; it reports ${reportedMs} ms from the lease to its sources` : ''})` : `did NOT take over within ${o.takeoverTimeoutMs} ms (role ${await standby.role()})`}${target ? `; ${target.lostCreates.length} creates applied with the answer lost, ${target.unsettledAtKill.length} unknown to ${killed.name}'s state` : ''}`,
      );

      // The killed instance comes back, as the standby.
      await killed.proc.start();
      const back = await waitFor(async () => (await killed.role()) !== undefined, 30_000);
      const role = back ? await killed.role() : undefined;
      if (role === 'active' && (await standby.role()) === 'active') splitBrain++;
      takeovers.push({
        kill: i + 1,
        targeted: target !== undefined,
        from: killed.name,
        to: standby.name,
        portalWritesAtKill: writesBefore,
        activeMs,
        ms,
        reportedMs,
        restartedAsStandby: role === 'standby',
      });
      o.log(`${killed.name} restarted: ${role ?? 'no role reported'}`);
      if (took) active = standby;
      else if (role === 'active') active = killed;
      else if (!(await waitFor(async () => (await standby.serving()) || (await killed.serving()), 60_000)))
        throw new Error(`no instance is active 60 s after kill ${i + 1}`);
      else active = (await standby.serving()) ? standby : killed;
    }

    // The end: both instances killed, the rest of the feed produced, and the standby (the
    // instance killed last) drains everything in a `--once` run: it takes the lease, catches up
    // from the changelog, settles and runs. Portal faults on, as in the chaos load.
    const last = active === a ? b : a;
    for (const x of instances) x.proc.supervise(false);
    await active.proc.kill();
    await last.proc.kill();
    await load.produceRest();
    portal.setFaults(BASE_FAULTS, o.seed + 1000);
    const finalFrom = Date.now();
    await last.proc.start({ once: true, readyTimeoutMs: 60_000 });
    const final: RunRecord = await last.proc.waitForExit(600_000);
    const finalMs = Date.now() - finalFrom;
    o.log(`final --once run on ${last.name} exited ${final.code} in ${finalMs} ms`);
    if (final.code !== 0)
      throw new Error(`the final --once run exited ${final.code}; ${final.stderr}:\n${tailOf(final.stderr, 20)}`);
    portal.setFaults('');

    const { report, stateStats, stateVerify } = await verifyAt(load, last);
    const unsettled = targetedKills.flatMap((t) => t.unsettledAtKill);
    const adoption = adopted(load, unsettled, creates);
    if (adoption.adopted !== adoption.companies)
      report.problems.push(
        `${adoption.companies - adoption.adopted} of ${adoption.companies} companies created under a lost answer are not in the CRM once as that entity`,
      );
    const times = takeovers.map((t) => t.ms).filter((x): x is number => x !== null);
    const failedTakeovers = takeovers.filter((t) => t.ms === null).length;
    if (failedTakeovers > 0) report.problems.push(`${failedTakeovers} kills were not followed by a takeover`);
    for (const d of doubleFailures.filter((x) => !x.otherStandby))
      report.problems.push(`after the double failure at kill ${d.kill} the instance not active did not report standby`);
    if (splitBrain > 0) report.problems.push(`both instances reported active ${splitBrain} times`);
    if (roleAnomalies.length > 0) report.problems.push(`roles not as expected: ${roleAnomalies.join('; ')}`);
    const unexpectedExits = instances.reduce((n, x) => n + x.proc.unexpectedExits, 0);
    report.ok = report.problems.length === 0;
    const c = portal.counters;
    const figures: HaFigures = {
      options: {
        kills: o.kills,
        targetedEvery: o.targetedEvery,
        doubleKills: o.doubleKills,
        scale: o.scale,
        seed: o.seed,
        portalRate: o.portalRate,
        portalBurst: o.portalBurst,
        killDelayMs: o.killDelayMs,
        sessionTimeoutMs: o.sessionTimeoutMs,
        takeoverTimeoutMs: o.takeoverTimeoutMs,
        keep: o.keep,
      },
      durationMs: Date.now() - t0,
      dataset: load.ds.truth.counts,
      kills: takeovers.length + doubleFailures.length,
      takeovers,
      doubleFailures,
      takeoverMs: {
        n: times.length,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        max: times.length ? Math.max(...times) : null,
        failed: failedTakeovers,
      },
      targeted: {
        aimed,
        landed: targetedKills.length,
        unsettled: unsettled.length,
        adoptedCompanies: adoption.adopted,
        companies: adoption.companies,
        deletedLater: adoption.deletedLater,
      },
      targetedKills,
      unexpectedExits,
      companyOriginsCreatedTwice: [...creates].filter(([, ids]) => ids.length > 1).map(([origin]) => origin),
      splitBrainSightings: splitBrain,
      roleAnomalies,
      portal: { requests: c.requests, writes: c.writes, faults: { ...c.faults } },
      finalRun: { instance: last.name, code: final.code ?? null, ms: finalMs },
      stateVerify,
      stateStats,
      verify: report.figures,
    };
    await writeFile(join(load.runDir, 'figures.json'), JSON.stringify({ figures, problems: report.problems }, null, 2));
    o.log(`figures: ${JSON.stringify({ ...figures, verify: undefined, targetedKills: undefined })}`);
    if (!report.ok) {
      await writeFile(join(load.runDir, 'portal-store.json'), JSON.stringify(portal.store.snapshot()));
      o.log(`PROBLEMS:\n  ${report.problems.join('\n  ')}`);
    }
    failed = !report.ok;
    return { report, figures, runDir: load.runDir };
  } finally {
    await finish(load, failed, instances);
  }
}

export interface ColdRestoreFigures {
  durationMs: number;
  dataset: Record<string, number>;
  /** Portal writes when the instance was killed (part of the load done), and the creates that call lost. */
  killedAfterWrites: number;
  killedBetweenCreateAndAnswer: boolean;
  unsettledAtKill: LostCreate[];
  adoptedCompanies: number;
  restore: { code: number; ms: number; output: string };
  /** `state verify` on the restored dir, before the run. */
  verifyRestored: { code: number; output: string };
  finalRun: { code: number | null; ms: number };
  stateVerify: { code: number; output: string };
  stateStats: StateStats;
  verify: VerifyReport['figures'];
}

/**
 * Cold restore: one HA instance, no standby, runs part of the load and is SIGKILLed (between a
 * create and its answer when a create comes in time); its state dir is deleted; `crm-unify state
 * restore` (the real CLI) rebuilds it from the changelog, `state verify` must exit 0, and a
 * `--once` run completes the load: verify.ts then demands zero twins and zero lost.
 */
export async function runColdRestore(
  o: HaChaosOptions,
): Promise<{ report: VerifyReport; figures: ColdRestoreFigures; runDir: string }> {
  const t0 = Date.now();
  const load = new Load(chaosOptions({ ...o, kills: 1 }));
  let failed = true;
  let instances: HaInstance[] = [];
  try {
    await load.setup();
    const portal = load.sandbox.portal;
    const creates = trackCompanyCreates(load);
    instances = await haInstances(load, o, ['solo']);
    const [solo] = instances as [HaInstance];
    await solo.proc.start();
    if (!(await waitFor(() => solo.serving(), 60_000)))
      throw new Error(`the instance never became active and ran its sources; ${solo.proc.runs.at(-1)?.stderr}`);
    await load.produceNext(0.5);
    await load.updateRows('restore', 3, 3);
    // Part of the load: some writes landed, then the kill, aimed between a create and its answer.
    await waitFor(() => portal.counters.writes > 0, 60_000);
    await sleep(between(o.killDelayMs));
    await load.produceReserve(0.5);
    const hit = await killBetweenCreateAndAnswer(load, solo.proc, 20_000, 10_000);
    await solo.proc.kill();
    const killedAfterWrites = portal.counters.writes;
    const unsettledAtKill = hit ? await load.unsettled(hit.lost, solo.stateDir) : [];
    o.log(
      `killed after ${killedAfterWrites} portal writes (${hit ? `between a create and its answer: ${hit.lost.length} creates, ${unsettledAtKill.length} unknown to the state` : 'no create in 20 s: a plain kill'})`,
    );
    portal.setFaults(BASE_FAULTS, o.seed + 1);

    await rm(solo.stateDir, { recursive: true, force: true });
    const restoreFrom = Date.now();
    const restore = await cliCode(load, ['state', 'restore'], solo.configPath);
    const restoreMs = Date.now() - restoreFrom;
    o.log(`state restore exited ${restore.code} in ${restoreMs} ms`);
    if (restore.code !== 0) throw new Error(`state restore exited ${restore.code}: ${restore.output}`);
    const verifyRestored = await cliCode(load, ['state', 'verify'], solo.configPath);
    o.log(`state verify on the restored dir exited ${verifyRestored.code}`);

    await load.produceRest();
    const finalFrom = Date.now();
    await solo.proc.start({ once: true, readyTimeoutMs: 60_000 });
    const final = await solo.proc.waitForExit(600_000);
    const finalMs = Date.now() - finalFrom;
    o.log(`--once run after the restore exited ${final.code} in ${finalMs} ms`);
    if (final.code !== 0)
      throw new Error(`the --once run exited ${final.code}; ${final.stderr}:\n${tailOf(final.stderr, 20)}`);
    portal.setFaults('');

    const { report, stateStats, stateVerify } = await verifyAt(load, solo);
    const adoption = adopted(load, unsettledAtKill, creates);
    if (verifyRestored.code !== 0)
      report.problems.push(`state verify exited ${verifyRestored.code} on the restored dir: ${verifyRestored.output}`);
    if (adoption.adopted !== adoption.companies)
      report.problems.push(
        `${adoption.companies - adoption.adopted} companies created under the lost answer are not in the CRM once as that entity`,
      );
    report.ok = report.problems.length === 0;
    const figures: ColdRestoreFigures = {
      durationMs: Date.now() - t0,
      dataset: load.ds.truth.counts,
      killedAfterWrites,
      killedBetweenCreateAndAnswer: hit !== undefined,
      unsettledAtKill,
      adoptedCompanies: adoption.adopted,
      restore: { code: restore.code, ms: restoreMs, output: restore.output.slice(0, 2_000) },
      verifyRestored,
      finalRun: { code: final.code ?? null, ms: finalMs },
      stateVerify,
      stateStats,
      verify: report.figures,
    };
    await writeFile(join(load.runDir, 'figures.json'), JSON.stringify({ figures, problems: report.problems }, null, 2));
    o.log(`figures: ${JSON.stringify({ ...figures, verify: undefined })}`);
    if (!report.ok) o.log(`PROBLEMS:\n  ${report.problems.join('\n  ')}`);
    failed = !report.ok;
    return { report, figures, runDir: load.runDir };
  } finally {
    await finish(load, failed, instances);
  }
}
