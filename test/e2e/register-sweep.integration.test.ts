// The register sweep of the real service (issue 19): `crm-unify run` in its own process re-checks
// the loaded companies past their TTL while the register has liquidated some of them; a SIGTERM
// lands mid-sweep, the process exits 0, and a second run finishes the sweep from the stored cursor.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePorts } from '../support/net.js';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';

const FIELD = 'UF_CRM_REGISTER_STATUS';
/**
 * The sweep runs beside Shop B alone: Shop A's delta poll reads its newest rows again at start
 * (`lookbackSeconds`), and with a TTL of milliseconds the pipeline would ask the register about
 * them too, so not every look-up would be the sweep's.
 */
const SWEEP_TOPOLOGIES = ['shop-b'];
const OVERRIDING_ENV = ['BITRIX24_WEBHOOK_URL', 'DADATA_TOKEN', 'NODE_OPTIONS'];

function start(configPath: string, topologies: string[], ...extra: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  for (const k of OVERRIDING_ENV) delete env[k];
  const child = spawn(process.execPath, ['bin/crm-unify.js', 'run', ...topologies, '--config', configPath, ...extra], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stdout.resume();
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs = () =>
    err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, exited, err: () => err.slice(-3000), logs };
}

async function until<T>(
  what: () => Promise<T | undefined | false> | T | undefined | false,
  label: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(100);
  }
}

/** A counter of the service's /metrics, or undefined while it is not up. */
async function sweptExpired(port: number): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
    const m = /^crm_unify_register_sweep_companies_total\{kind="expired"\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

describe('the register sweep of crm-unify run (issue 19)', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy();
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('marks the companies the register liquidated; a SIGTERM mid-sweep exits 0, and a second run finishes it asking each INN once', async () => {
    const load = start(d.configPath, ['shop-a', 'shop-b'], '--once');
    expect(await load.exited, load.err()).toBe(0);
    const field = (r: { fields: Record<string, unknown> }, k: string) => String(r.fields[k] ?? '');
    // the loaded companies, by INN, through their requisites
    const companyOf = new Map(
      d.sandbox.portal.store.all('requisite').map((r) => [field(r, 'RQ_INN'), field(r, 'ENTITY_ID')]),
    );
    const inns = [...companyOf.keys()].sort();
    expect(inns.length).toBe(d.ds.truth.counts.expectedCompanies);
    expect(inns.length).toBeGreaterThan(40);

    // the register liquidates every tenth loaded company that it lists as active
    const liquidated = inns.filter((inn, i) => i % 10 === 3 && d.ds.registry[inn]?.status === 'ACTIVE');
    expect(liquidated.length).toBeGreaterThan(2);
    d.sandbox.egrul.upsertRegistry(
      Object.fromEntries(liquidated.map((inn) => [inn, { ...d.ds.registry[inn]!, status: 'LIQUIDATED' as const }])),
    );
    d.sandbox.egrul.resetCounters();
    d.sandbox.portal.resetCounters();

    // every answer is past a TTL of a few ms; the sweep gets 2% of 300/s (6 look-ups a second)
    const [port1, port2] = (await freePorts(2)) as [number, number];
    const sweepConfig = async (port: number, share: number) => {
      const path = join(d.dir, `sweep-${port}.yaml`);
      const registry = {
        ...(d.config.registry as object),
        cacheTtlDays: 1e-7,
        sweep: { batch: 5, share, idleMinutes: 60 },
      };
      await writeFile(path, stringify({ ...d.config, metrics: { port }, registry }));
      return path;
    };
    const first = start(await sweepConfig(port1, 0.02), SWEEP_TOPOLOGIES);
    await until(async () => ((await sweptExpired(port1)) ?? 0) >= 5, 'the first batch swept');
    first.child.kill('SIGTERM');
    expect(await first.exited, first.err()).toBe(0);
    const askedFirst = Object.keys(d.sandbox.egrul.counters.byQuery);
    expect(askedFirst.length).toBeGreaterThanOrEqual(5);
    expect(askedFirst.length).toBeLessThan(inns.length); // stopped mid-sweep
    expect(first.logs().map((l) => l.msg)).toContain('register sweep stopped; the next run resumes it');
    expect(first.logs().map((l) => l.msg)).not.toContain('register sweep done');

    // the next process resumes from the stored cursor, at a pace that ends the test soon
    const second = start(await sweepConfig(port2, 0.5), SWEEP_TOPOLOGIES);
    await until(() => second.logs().find((l) => l.msg === 'register sweep done'), 'the sweep done');
    second.child.kill('SIGTERM');
    expect(await second.exited, second.err()).toBe(0);

    // each loaded company asked once in all, none of the rest
    expect(Object.keys(d.sandbox.egrul.counters.byQuery).sort()).toEqual(inns);
    expect(Object.entries(d.sandbox.egrul.counters.byQuery).filter(([, n]) => n !== 1)).toEqual([]);
    // the CRM shows the status on exactly the liquidated companies, and on those loaded while
    // reorganising (let in with a warning; the sweep sets their mark right); nothing else was written
    const reorganising = inns.filter((inn) => d.ds.registry[inn]?.status === 'REORGANIZING');
    expect(reorganising.length).toBeGreaterThan(0);
    const expected = Object.fromEntries([
      ...liquidated.map((inn) => [companyOf.get(inn)!, 'LIQUIDATED']),
      ...reorganising.map((inn) => [companyOf.get(inn)!, 'REORGANIZING']),
    ]);
    const marked = Object.fromEntries(
      d.sandbox.portal.store
        .all('company')
        .filter((c) => c.fields[FIELD])
        .map((c) => [String(c.id), String(c.fields[FIELD])]),
    );
    expect(
      Object.fromEntries(Object.entries(marked).map(([id, v]) => [id, v.replace(/ \d{4}-\d{2}-\d{2}$/, '')])),
    ).toEqual(expected);
    expect(d.sandbox.portal.counters.commandsByMethod['crm.company.update']).toBe(Object.keys(expected).length);
    expect(d.sandbox.portal.counters.writes).toBe(Object.keys(expected).length + 1); // and the field, added once
  });
});
