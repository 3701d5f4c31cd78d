import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';

/** Runs the real command line as a separate process, the way an operator (or systemd) does. */
function start(configPath: string, ...extra: string[]) {
  const child = spawn(
    process.execPath,
    ['bin/crm-unify.js', 'run', 'shop-a', 'shop-b', '--config', configPath, ...extra],
    {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ out, err }) };
}

describe('graceful shutdown of crm-unify run', () => {
  let d: Deployment;
  beforeAll(async () => {
    // A slower portal so a SIGTERM lands while records are still being loaded.
    d = await deploy({ sandbox: { rate: 10, burst: 10 } });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('stops pulling on SIGTERM, drains, commits and exits 0; a later run finishes the job with nothing twice', async () => {
    const run = start(d.configPath);
    for (let i = 0; d.sandbox.portal.store.all('company').length < 20 && i < 600; i++) await sleep(100);
    expect(d.sandbox.portal.store.all('company').length).toBeGreaterThanOrEqual(20);
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const code = await run.exited;
    expect(code, run.output().err).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(20_000);
    expect(d.sandbox.portal.store.all('company').length).toBeLessThan(d.ds.truth.counts.expectedCompanies!);

    d.sandbox.portal.bucket.configure(200, 50);
    const rest = start(d.configPath, '--once');
    expect(await rest.exited, rest.output().err).toBe(0);
    const companies = d.sandbox.portal.store.all('company');
    expect(companies.length).toBe(d.ds.truth.counts.expectedCompanies);
    expect(new Set(companies.map((c) => c.fields.ORIGIN_ID)).size).toBe(companies.length);
    expect(d.sandbox.portal.store.all('contact').length).toBe(d.ds.truth.counts.expectedContacts);
  });

  it('stops an idle continuous run (delta polling, Kafka caught up) on SIGINT with exit 0', async () => {
    const run = start(d.configPath);
    await sleep(4000);
    const writes = d.sandbox.portal.counters.writes;
    run.child.kill('SIGINT');
    expect(await run.exited, run.output().err).toBe(0);
    expect(d.sandbox.portal.counters.writes).toBe(writes);
  });
});
