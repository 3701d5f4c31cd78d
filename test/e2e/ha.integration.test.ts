// High availability end to end: two real `crm-unify run` processes on one deployment (MySQL, Kafka,
// the sandbox portal), each with its own state dir and its own webhook URL (a recording proxy in
// front of the portal, so the test knows which process sent each request). The active one is
// killed (SIGKILL) or stopped (SIGSTOP) mid-load; the standby must take over and finish, and the
// CRM must hold every golden company and contact exactly once.
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineProcess } from '../chaos/pipeline-process.js';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';
import { freePorts } from '../support/net.js';
import { isWrite, recordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { uniqueTopic } from '../support/inject.js';

const HA = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, fenceMarginMs: 2_000 };
/** The portal answers slowly, so the load lasts long enough to be interrupted. */
const SLOW_PORTAL = 'latency=150-250';

interface Instance {
  name: string;
  proc: PipelineProcess;
  proxy: RecordingProxy;
  metricsPort: number;
}

async function instances(d: Deployment, app: string): Promise<Instance[]> {
  const ports = await freePorts(2);
  return Promise.all(
    ['a', 'b'].map(async (name, i) => {
      const proxy = await recordingProxy(d.sandbox.webhookUrl);
      const dir = join(d.dir, `ha-${name}`);
      mkdirSync(dir, { recursive: true });
      const config = {
        ...d.config,
        state: { dir: join(dir, 'state') },
        metrics: { port: ports[i], host: '127.0.0.1' },
        crm: { ...(d.config.crm as object), webhookUrl: proxy.webhookUrl, concurrency: 2 },
        ha: { enabled: true, app, ...HA },
      };
      const configPath = join(dir, 'crm-unify.yaml');
      await writeFile(configPath, stringify(config));
      const proc = new PipelineProcess({
        topologies: ['shop-a', 'shop-b'],
        configPath,
        metricsPort: ports[i]!,
        logDir: dir,
        log: (m) => process.stderr.write(`[ha ${name}] ${m}\n`),
      });
      return { name, proc, proxy, metricsPort: ports[i]! };
    }),
  );
}

async function role(i: Instance): Promise<'active' | 'standby' | undefined> {
  try {
    const text = await (
      await fetch(`http://127.0.0.1:${i.metricsPort}/metrics`, { signal: AbortSignal.timeout(1_000) })
    ).text();
    if (/^crm_unify_role\{role="active"\} 1$/m.test(text)) return 'active';
    if (/^crm_unify_role\{role="standby"\} 1$/m.test(text)) return 'standby';
  } catch {
    // not answering
  }
  return undefined;
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
  return Date.now();
}

/** Pino lines of an instance's current (or last) run whose msg contains `text`. */
function logLines(i: Instance, text: string): Array<{ time: number; msg: string; [k: string]: unknown }> {
  const run = i.proc.runs.at(-1);
  if (!run) return [];
  return readFileSync(run.stderr, 'utf8')
    .split('\n')
    .filter((l) => l.includes(text))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { time: number; msg: string }];
      } catch {
        return [];
      }
    });
}

function expectExactlyOnce(d: Deployment): void {
  const store = d.sandbox.portal.store;
  const origins = store.all('company').map((c) => String(c.fields.ORIGIN_ID));
  expect(origins.length).toBe(new Set(origins).size);
  expect(new Set(origins)).toEqual(new Set(d.ds.truth.companies));
  const contacts = store.all('contact').map((c) => String(c.fields.ORIGIN_ID));
  expect(contacts.length).toBe(new Set(contacts).size);
  expect(contacts.length).toBe(d.ds.truth.counts.expectedContacts);
}

const loaded = (d: Deployment) => () =>
  d.sandbox.portal.store.all('company').length >= d.ds.truth.counts.expectedCompanies! &&
  d.sandbox.portal.store.all('contact').length >= d.ds.truth.counts.expectedContacts!;

/** Kill → the survivor's "takeover complete" line (its own clock, the same machine's). */
async function takeover(survivor: Instance, since: number): Promise<{ ms: number; loggedMs: number }> {
  const line = () => logLines(survivor, 'HA takeover complete').find((l) => l.time >= since);
  await waitFor(`${survivor.name} takes over`, () => line() !== undefined, 60_000);
  const l = line()!;
  return { ms: l.time - since, loggedMs: Number(l.takeoverMs) };
}

describe('HA: two instances, the active one killed with SIGKILL mid-load', () => {
  let d: Deployment;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    d = await deploy();
    d.sandbox.portal.setFaults(SLOW_PORTAL);
    [a, b] = (await instances(d, uniqueTopic('crm-unify-ha-kill'))) as [Instance, Instance];
  });

  afterAll(async () => {
    for (const i of [a, b]) {
      await i?.proc.dispose();
      await i?.proxy.close();
    }
    await d?.stop();
  });

  it('the standby takes over after each kill and finishes: every golden entity in the CRM exactly once', async () => {
    await a.proc.start();
    await waitFor('a is active', async () => (await role(a)) === 'active', 60_000);
    await b.proc.start();
    await waitFor('b is standby', async () => (await role(b)) === 'standby', 60_000);
    const health = (await b.proc.health())?.components.ha;
    expect(health).toMatchObject({ state: 'running', detail: 'standby' });

    const takeovers: Array<{ ms: number; loggedMs: number }> = [];
    let [active, standby] = [a, b];
    const expected = d.ds.truth.counts.expectedCompanies!;
    for (const share of [0.15, 0.45, 0.75]) {
      await waitFor(
        `${share * 100}% of the companies loaded`,
        () => d.sandbox.portal.store.all('company').length >= expected * share,
        120_000,
      );
      const killedAt = Date.now();
      await active.proc.kill();
      takeovers.push(await takeover(standby, killedAt));
      expect(await role(standby)).toBe('active');
      // The killed one comes back as the standby (a supervisor's restart).
      await active.proc.start();
      await waitFor(`${active.name} back as standby`, async () => (await role(active)) === 'standby', 60_000);
      [active, standby] = [standby, active];
    }
    await waitFor('everything loaded', loaded(d), 180_000);
    await sleep(2_000); // a late duplicate would land now
    expectExactlyOnce(d);
    process.stderr.write(
      `[ha] takeovers, kill → sources resumed (lease acquired → resumed), ms: ${takeovers.map((t) => `${t.ms} (${t.loggedMs})`).join(', ')}\n`,
    );
    expect(Math.max(...takeovers.map((t) => t.ms))).toBeLessThan(30_000);

    // A clean stop (SIGTERM) drains, then leaves the group: the standby takes over at once, no session timeout.
    const run = active.proc.runs.at(-1)!;
    const stoppedAt = Date.now();
    process.kill(run.pid, 'SIGTERM');
    const handover = await takeover(standby, stoppedAt);
    await waitFor(`${active.name} exits`, () => run.endedAt !== undefined, 30_000);
    expect(run.code).toBe(0);
    process.stderr.write(
      `[ha] SIGTERM of the active instance: the standby resumed the sources ${handover.ms} ms later\n`,
    );
    expect(handover.ms).toBeLessThan(HA.sessionTimeoutMs);
  });
});

describe('HA: the active instance stopped (SIGSTOP) past its session, then resumed', () => {
  let d: Deployment;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    d = await deploy();
    d.sandbox.portal.setFaults(SLOW_PORTAL);
    [a, b] = (await instances(d, uniqueTopic('crm-unify-ha-stop'))) as [Instance, Instance];
  });

  afterAll(async () => {
    for (const i of [a, b]) {
      if (i?.proc.pid) process.kill(i.proc.pid, 'SIGCONT');
      await i?.proc.dispose();
      await i?.proxy.close();
    }
    await d?.stop();
  });

  it('is fenced and exits non-zero, and sends nothing to the CRM after the new active instance starts writing', async () => {
    await a.proc.start();
    await waitFor('a is active', async () => (await role(a)) === 'active', 60_000);
    await b.proc.start();
    await waitFor('b is standby', async () => (await role(b)) === 'standby', 60_000);
    const expected = d.ds.truth.counts.expectedCompanies!;
    await waitFor('a quarter loaded', () => d.sandbox.portal.store.all('company').length >= expected * 0.25, 120_000);

    const run = a.proc.runs.at(-1)!;
    const exited = new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (run.endedAt !== undefined) {
          clearInterval(poll);
          done();
        }
      }, 100);
    });
    process.kill(run.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    const t = await takeover(b, stoppedAt);
    const bFirstWrite = await waitFor('b writes', () => b.proxy.requests.some(isWrite), 60_000).then(
      () => b.proxy.requests.find(isWrite)!.at,
    );
    const bFirst = b.proxy.requests[0]!.at;
    await sleep(1_000);
    process.kill(run.pid, 'SIGCONT');
    const resumedAt = Date.now();
    await Promise.race([exited, sleep(30_000)]);
    expect(run.endedAt, 'a exits after SIGCONT').toBeDefined();
    expect(run.code).not.toBe(0);
    expect(logLines(a, 'fenced, exiting').length).toBe(1);

    const late = a.proxy.requests.filter((r) => r.at >= bFirst);
    process.stderr.write(
      `[ha] SIGSTOP: takeover ${t.ms} ms after the stop (logged ${t.loggedMs} ms); b's first request ${bFirst - stoppedAt} ms and first write ${bFirstWrite - stoppedAt} ms after it; a resumed ${resumedAt - stoppedAt} ms after it and exited ${run.endedAt! - resumedAt} ms later; a's requests: ${a.proxy.requests.length}, last ${a.proxy.requests.at(-1)!.at - stoppedAt} ms after the stop\n`,
    );
    expect(a.proxy.requests.length).toBeGreaterThan(0);
    expect(late).toEqual([]);

    await waitFor('everything loaded', loaded(d), 180_000);
    await sleep(2_000);
    expectExactlyOnce(d);
  });
});
