// Drives `crm-unify run` as a child process for the chaos suite: spawn it, wait until it serves
// /healthz, kill it with SIGKILL at any moment, start it again (same config, same state dir), and
// keep every run's stdout/stderr in its own file for diagnosis. With `supervise` on, an exit the
// test did not ask for (a source gave up during a broker outage, say) is restarted like systemd's
// Restart=always would, and counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tailOf } from '../support/processes.js';

/** The project root (where bin/crm-unify.js lives). */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(PROJECT_ROOT, 'bin', 'crm-unify.js');

/**
 * Endpoints and secrets the service reads from the environment win over its config file; the
 * test harness exports some of them (the shared broker and server), so the child must not see
 * them, or it would run against the shared broker instead of the chaos suite's private one.
 */
export const OVERRIDING_ENV = [
  'KAFKA_BROKERS',
  'SHOP_A_MYSQL_URL',
  'BITRIX24_WEBHOOK_URL',
  'DADATA_TOKEN',
  'MYSQL_URL',
];

export interface RunRecord {
  n: number;
  once: boolean;
  pid: number;
  startedAt: number;
  endedAt?: number;
  code?: number | null;
  signal?: NodeJS.Signals | null;
  /** Killed by the test (SIGKILL) rather than exiting on its own. */
  killed: boolean;
  stdout: string;
  stderr: string;
}

export interface PipelineProcessOptions {
  topologies: string[];
  configPath: string;
  metricsPort: number;
  /** Where run-<n>.stdout.log / run-<n>.stderr.log go. */
  logDir: string;
  log?: (message: string) => void;
}

export class PipelineProcess {
  readonly runs: RunRecord[] = [];
  /** Exits nobody asked for while `supervise` was on (each one was restarted). */
  unexpectedExits = 0;
  private child: ChildProcess | undefined;
  private current: RunRecord | undefined;
  private exited: Promise<void> = Promise.resolve();
  private supervising = false;
  private restarting: Promise<void> | undefined;
  private readonly log: (message: string) => void;

  constructor(private readonly opts: PipelineProcessOptions) {
    this.log = opts.log ?? (() => {});
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get healthUrl(): string {
    return `http://127.0.0.1:${this.opts.metricsPort}/healthz`;
  }

  /** Restart the pipeline whenever it exits on its own (continuous mode only). */
  supervise(on: boolean): void {
    this.supervising = on;
  }

  /** Spawns the pipeline; resolves once it answers on /healthz (or rejects if it dies first). */
  async start(opts: { once?: boolean; readyTimeoutMs?: number } = {}): Promise<RunRecord> {
    if (this.child) throw new Error('the pipeline is already running');
    const once = opts.once === true;
    const n = this.runs.length + 1;
    const stdout = join(this.opts.logDir, `run-${String(n).padStart(2, '0')}${once ? '-once' : ''}.stdout.log`);
    const stderr = join(this.opts.logDir, `run-${String(n).padStart(2, '0')}${once ? '-once' : ''}.stderr.log`);
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'info' };
    for (const k of OVERRIDING_ENV) delete env[k];
    delete env.NODE_OPTIONS; // vitest's worker hooks must not leak into the service
    const out = openSync(stdout, 'a');
    const err = openSync(stderr, 'a');
    const args = [BIN, 'run', ...this.opts.topologies, '--config', this.opts.configPath, ...(once ? ['--once'] : [])];
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', out, err] });
    closeSync(out);
    closeSync(err);
    if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${args.join(' ')}`);
    const record: RunRecord = { n, once, pid: child.pid, startedAt: Date.now(), killed: false, stdout, stderr };
    this.runs.push(record);
    this.child = child;
    this.current = record;
    this.exited = new Promise<void>((done) => {
      child.once('exit', (code, signal) => {
        record.endedAt = Date.now();
        record.code = code;
        record.signal = signal;
        if (this.child === child) {
          this.child = undefined;
          this.current = undefined;
        }
        this.log(
          `run ${n} (pid ${record.pid}) exited: code ${code}, signal ${signal}${record.killed ? ' (killed by the test)' : ''}`,
        );
        if (!record.killed && !once && this.supervising) {
          this.unexpectedExits++;
          this.log(`run ${n} exited on its own; restarting it. stderr tail:\n${tailOf(stderr, 8)}`);
          this.restarting = sleep(500).then(() =>
            this.start().then(
              () => undefined,
              (e: unknown) => this.log(`restart failed: ${String(e)}`),
            ),
          );
        }
        done();
      });
    });
    this.log(`run ${n} started (pid ${record.pid}${once ? ', --once' : ''})`);
    await this.waitHealthy(record, opts.readyTimeoutMs ?? 60_000);
    return record;
  }

  /** Polls /healthz until the service answers at all (200 or 503: it is up and reporting). */
  private async waitHealthy(record: RunRecord, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (record.endedAt !== undefined) {
        // --once runs may finish before the first poll; that is fine when they exited 0.
        if (record.once && record.code === 0) return;
        if (record.killed) return;
        throw new Error(
          `pipeline run ${record.n} exited (code ${record.code}, signal ${record.signal}) before it served /healthz; ${record.stderr}:\n${tailOf(record.stderr, 20)}`,
        );
      }
      try {
        const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(
          `pipeline run ${record.n} did not serve ${this.healthUrl} within ${timeoutMs} ms; ${record.stderr}:\n${tailOf(record.stderr, 20)}`,
        );
      await sleep(100);
    }
  }

  /** Whether the current run logged (stderr, pino JSON) a line whose msg contains `text`, at or after `since` (ms). */
  loggedSince(since: number, text: string): boolean {
    const record = this.current ?? this.runs.at(-1);
    if (!record) return false;
    return readFileSync(record.stderr, 'utf8')
      .split('\n')
      .some((line) => {
        if (!line.includes(text)) return false;
        try {
          const l = JSON.parse(line) as { time?: number; msg?: string };
          return (l.time ?? 0) >= since && (l.msg ?? '').includes(text);
        } catch {
          return false;
        }
      });
  }

  /** The summary a finished `--once` run printed on stdout (`{"summary": …}`), or undefined. */
  summaryOf(record: RunRecord): { read?: Record<string, number>; totalRead?: number } | undefined {
    for (const line of readFileSync(record.stdout, 'utf8').split('\n').reverse()) {
      try {
        const l = JSON.parse(line) as { summary?: { read?: Record<string, number>; totalRead?: number } };
        if (l.summary) return l.summary;
      } catch {
        // not a JSON line
      }
    }
    return undefined;
  }

  /** The /healthz report of the running pipeline, or undefined when it does not answer. */
  async health(): Promise<
    { live: boolean; ready: boolean; components: Record<string, { state: string; detail?: string }> } | undefined
  > {
    try {
      const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(1_000) });
      return (await res.json()) as {
        live: boolean;
        ready: boolean;
        components: Record<string, { state: string; detail?: string }>;
      };
    } catch {
      return undefined;
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. Resolves when the process is gone. */
  async kill(): Promise<RunRecord | undefined> {
    await this.restarting;
    return this.killNow();
  }

  /**
   * SIGKILL sent synchronously, before the caller's next line (the targeted crash calls it from
   * inside the portal, before a dropped answer's socket is destroyed); resolves when it is gone.
   */
  killNow(): Promise<RunRecord | undefined> {
    const child = this.child;
    const record = this.current;
    if (!child || !record) return Promise.resolve(undefined);
    record.killed = true;
    child.kill('SIGKILL');
    return this.exited.then(() => record);
  }

  /** Kill (if running) and start again in continuous mode. */
  async restart(): Promise<RunRecord> {
    await this.kill();
    return this.start();
  }

  /** Waits for the current run to exit on its own (a --once run). */
  async waitForExit(timeoutMs: number): Promise<RunRecord> {
    const record = this.current ?? this.runs.at(-1);
    if (!record) throw new Error('no run to wait for');
    const timedOut = Symbol('timeout');
    const result = await Promise.race([this.exited, sleep(timeoutMs).then(() => timedOut)]);
    if (result === timedOut) {
      await this.kill();
      throw new Error(
        `pipeline run ${record.n} did not finish within ${timeoutMs} ms; ${record.stderr}:\n${tailOf(record.stderr, 20)}`,
      );
    }
    return record;
  }

  /** End of the test: stop supervising and kill whatever runs. */
  async dispose(): Promise<void> {
    this.supervising = false;
    await this.restarting;
    await this.kill();
  }
}
