import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { runService } from '../../src/runtime/service.js';
import { freePorts } from '../support/net.js';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';
import { ensurePrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { topologies } from '../../topologies/index.js';

const exec = promisify(execFile);
const rules = resolve('grafana/prometheus/alerts.yml');

interface Panel {
  title: string;
  targets: Array<{ expr: string }>;
}

describe('Prometheus scraping a running pipeline', () => {
  let d: Deployment;
  let prom: RunningPrometheus;
  let tools: { prometheus: string; promtool: string };
  const stop = new AbortController();
  let running: Promise<unknown>;

  beforeAll(async () => {
    tools = await ensurePrometheus();
    d = await deploy();
    const [port] = await freePorts(1);
    const config = resolveConfig({ ...d.config, metrics: { port, host: '127.0.0.1' } }, {});
    prom = await startPrometheus(tools.prometheus, `127.0.0.1:${port}`, rules);
    // Continuous mode: the delta polls on, so every source keeps reporting while Prometheus scrapes.
    running = runService({
      topologies,
      names: ['shop-a', 'shop-b'],
      config,
      once: false,
      logger: silentLogger,
      stop: stop.signal,
    });
    for (let i = 0; d.sandbox.portal.store.all('company').length < d.ds.truth.counts.expectedCompanies! && i < 600; i++)
      await sleep(100);
    await sleep(6000); // a few scrapes after the load, so rate() windows hold two samples
  });

  afterAll(async () => {
    stop.abort();
    await running?.catch(() => {});
    await prom?.stop();
    await d?.stop();
  });

  it('answers every dashboard panel query with data', async () => {
    const dashboard = JSON.parse(await readFile('grafana/dashboards/crm-unify.json', 'utf8')) as { panels: Panel[] };
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      for (const t of panel.targets)
        if ((await prom.query(t.expr)).length === 0) empty.push(`${panel.title}: ${t.expr}`);
    }
    expect(empty).toEqual([]);
  });

  it('loads the alert rules, which promtool accepts', async () => {
    const { stdout } = await exec(tools.promtool, ['check', 'rules', rules]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    const res = await fetch(`${prom.url}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> } };
    const loaded = body.data.groups.flatMap((g) => g.rules);
    expect(loaded.length).toBeGreaterThanOrEqual(6);
    expect(loaded.every((r) => r.health !== 'err')).toBe(true);
  });
});
