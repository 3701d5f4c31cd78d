// A real Prometheus for observability tests: Debian's `prometheus` package (with promtool),
// installed on first use when missing and this is a Debian machine run as root.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePorts } from './net.js';
import { findExecutable } from './processes.js';

const exec = promisify(execFile);

export async function ensurePrometheus(): Promise<{ prometheus: string; promtool: string }> {
  let prometheus = findExecutable('prometheus');
  if (!prometheus && process.getuid?.() === 0 && findExecutable('apt-get')) {
    await exec('apt-get', ['update', '-qq'], { timeout: 300_000 });
    await exec('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    prometheus = findExecutable('prometheus');
  }
  const promtool = findExecutable('promtool');
  if (!prometheus || !promtool) {
    throw new Error(
      "Prometheus is needed for the observability test: install Debian's `prometheus` package (apt-get install prometheus), which also brings promtool",
    );
  }
  return { prometheus, promtool };
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<unknown[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `target` every second, with our alert rules loaded. */
export async function startPrometheus(binary: string, target: string, rulesFile: string): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'crm-unify-prom-'));
  const [port] = await freePorts(1);
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [rulesFile],
    scrape_configs: [{ job_name: 'crm-unify', static_configs: [{ targets: [target] }] }],
  };
  await writeFile(join(dir, 'prometheus.yml'), stringify(config));
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 120 || child.exitCode !== null) throw new Error(`prometheus did not start: ${stderr.slice(-2000)}`);
    await sleep(250);
  }
  return {
    url,
    query: async (expr) => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      if (body.status !== 'success') throw new Error(`query failed: ${expr}: ${body.error}`);
      return body.data?.result ?? [];
    },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}
