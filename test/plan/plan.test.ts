import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resolveConfig } from '../../src/config/load.js';
import type { AppConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/core/logger.js';
import { crmSeedFrom } from '../../src/gen/crm-seed.js';
import { generate, reachable, scales, type Dataset } from '../../src/gen/dataset.js';
import { writeDataset } from '../../src/gen/write.js';
import { formatPlan } from '../../src/plan/format.js';
import { runPlan } from '../../src/plan/run-plan.js';
import { entityKinds, type PlanReport } from '../../src/plan/report.js';
import { runService } from '../../src/runtime/service.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { openLevelStore } from '../../src/state/level-store.js';
import { cli } from '../support/cli.js';
import { topologies } from '../../topologies/index.js';

/** Every file of a directory with its content hash: "not modified" means equal maps. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await readdir(dir))
    out[f] = createHash('sha256')
      .update(await readFile(join(dir, f)))
      .digest('hex');
  return out;
}

const portalCounts = (sb: Sandbox) => {
  const c = sb.portal.store.counts();
  return { company: c.company, requisite: c.requisite, bankdetail: c.bankdetail, contact: c.contact };
};
const methodOf = {
  company: 'crm.company',
  requisite: 'crm.requisite',
  bankdetail: 'crm.requisite.bankdetail',
  contact: 'crm.contact',
} as const;

describe('crm-unify plan against a portal people filled (shop-b dump, sandbox)', () => {
  let ds: Dataset;
  let dir: string;
  let sandbox: Sandbox;
  let config: Readonly<AppConfig>;
  let configPath: string;

  beforeAll(async () => {
    ds = generate(reachable(scales.small), 3);
    dir = await mkdtemp(join(tmpdir(), 'crm-unify-plan-test-'));
    const paths = await writeDataset(ds, dir);
    const seed = crmSeedFrom(ds, { share: 0.3, seed: 3 });
    sandbox = await startSandbox({
      registry: ds.registry,
      rate: 100,
      burst: 50,
      egrulLatencyMs: 1,
      egrulRateLimit: 1000,
      crmSeed: seed.seed,
    });
    const raw = {
      state: { dir: join(dir, 'state') },
      metrics: { port: 0 },
      crm: { webhookUrl: sandbox.webhookUrl, rate: 100, burst: 50, concurrency: 4 },
      registry: { url: sandbox.egrulUrl, token: sandbox.egrulToken, rate: 1000, concurrency: 16 },
      runtime: { maxInFlight: 500, loadWindowMs: 50, loadMaxRecords: 300 },
      sources: { shopB: { dump: { path: paths.shopBDump, encoding: 'windows-1251' } } },
    };
    config = resolveConfig(raw, {});
    configPath = join(dir, 'crm-unify.yaml');
    await writeFile(configPath, stringify(raw));
    // A state that exists (positions none yet): plan must copy it, not open it.
    await (await openLevelStore(config.state.dir)).close();
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('predicts the run exactly: creates, updates, deletes and adoptions per entity kind; writes nothing; leaves the state alone', async () => {
    const stateBefore = await fingerprint(config.state.dir);
    const writesBefore = sandbox.portal.counters.writes;
    const plan = await runPlan({ topologies, names: ['shop-b'], config, logger: silentLogger });
    expect(sandbox.portal.counters.writes).toBe(writesBefore);
    expect(await fingerprint(config.state.dir)).toEqual(stateBefore);
    expect(plan.state).toBe('copy');
    expect(plan.counts.company.create).toBeGreaterThan(0);
    expect(plan.counts.company.adopt).toBeGreaterThan(0);
    expect(plan.counts.contact.adopt).toBeGreaterThan(0);
    expect(plan.twins.inns).toBeGreaterThan(0);
    expect(plan.counts.company.update).toBeGreaterThan(0);
    if (process.env.PLAN_PRINT) process.stderr.write(formatPlan(plan, 'table'));

    const countsBefore = portalCounts(sandbox);
    const methodsBefore = { ...sandbox.portal.counters.commandsByMethod };
    const seeded = sandbox.portal.store
      .all('company')
      .filter((c) => !c.fields.ORIGINATOR_ID)
      .map((c) => c.id);
    const summary = await runService({
      topologies,
      names: ['shop-b'],
      config,
      once: true,
      logger: silentLogger,
      stop: new AbortController().signal,
    });
    const countsAfter = portalCounts(sandbox);
    const methods = sandbox.portal.counters.commandsByMethod;
    const ran = (m: string) => (methods[m] ?? 0) - (methodsBefore[m] ?? 0);
    for (const k of entityKinds) {
      expect({ kind: k, created: plan.counts[k].create }).toEqual({
        kind: k,
        created: countsAfter[k] - countsBefore[k] + ran(`${methodOf[k]}.delete`),
      });
      expect({ kind: k, updated: plan.counts[k].update }).toEqual({ kind: k, updated: ran(`${methodOf[k]}.update`) });
      expect({ kind: k, deleted: plan.counts[k].delete }).toEqual({ kind: k, deleted: ran(`${methodOf[k]}.delete`) });
    }
    const adopted = entityKinds.reduce((n, k) => n + plan.counts[k].adopt, 0);
    expect(adopted).toBe(summary.delivered.adopted);
    expect(plan.counts.company.adopt).toBe(
      sandbox.portal.store.all('company').filter((c) => seeded.includes(c.id) && c.fields.ORIGINATOR_ID).length,
    );
    expect(plan.conflicts).toBe(summary.delivered.conflicts);
    expect(plan.twins.companies).toBe(summary.delivered.twins);
    expect(plan.rejects).toEqual(summary.rejected);
    expect(plan.read).toEqual(summary.read);
  }, 300_000);

  it('after the run, plans nothing: it starts from the positions in the state, and the CLI prints it as JSON and CSV', async () => {
    const writes = sandbox.portal.counters.writes;
    const json = await cli('plan', 'shop-b', '--config', configPath, '--format', 'json');
    expect(json.code, json.err).toBe(0);
    const plan = JSON.parse(json.out) as PlanReport;
    expect(plan.read['shop-b.dump'] ?? 0).toBe(0);
    expect(plan.portal.writes).toBe(0);
    expect(plan.items).toEqual([]);
    const csv = await cli('plan', '--config', configPath, '--format', 'csv');
    expect(csv.code, csv.err).toBe(0);
    expect(csv.out.trim()).toBe('action,entity,inn,crmId,method,fields,values');
    expect(sandbox.portal.counters.writes).toBe(writes);
  }, 120_000);

  it('refuses a state a running process holds, naming it', async () => {
    // LevelDB's lock is per process: the holder must be another one.
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const { Level } = require('level'); const db = new Level(${JSON.stringify(config.state.dir)}); db.open().then(() => console.log('open')); setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => {
          if (String(d).includes('open')) resolve();
        });
        holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      const before = await fingerprint(config.state.dir);
      await expect(runPlan({ topologies, names: ['shop-b'], config, logger: silentLogger })).rejects.toMatchObject({
        code: 'STATE_STORE_LOCKED',
      });
      expect(await fingerprint(config.state.dir)).toEqual(before);
    } finally {
      holder.kill();
    }
  }, 60_000);
});
