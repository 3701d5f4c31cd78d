/**
 * The sandbox in a worker thread, for the end-to-end bench: the real portal and register run on
 * other machines, so their emulators must not take the pipeline's event loop (in-process they
 * did: register look-ups, list scans and JSON on the same thread as resolve and delivery).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startSandbox, type SandboxOptions } from '../src/sandbox/sandbox.js';

export interface SandboxStats {
  portal: {
    requests: number;
    commands: number;
    writes: number;
    queryLimitExceeded: number;
    operationTimeLimit: number;
    commandsByMethod: Record<string, number>;
  };
  egrul: { requests: number };
  counts: Record<string, number>;
}

export interface RemoteSandbox {
  webhookUrl: string;
  egrulUrl: string;
  egrulToken: string;
  stats(): Promise<SandboxStats>;
  resetCounters(): Promise<void>;
  stop(): Promise<void>;
}

type Request = { id: number; op: 'stats' | 'reset' | 'stop' };

if (!isMainThread && parentPort) {
  const port = parentPort;
  const sb = await startSandbox(workerData as SandboxOptions);
  port.on('message', async (m: Request) => {
    if (m.op === 'reset') {
      sb.portal.resetCounters();
      sb.egrul.resetCounters();
      port.postMessage({ id: m.id });
      return;
    }
    if (m.op === 'stop') {
      await sb.stop();
      port.postMessage({ id: m.id });
      port.close();
      return;
    }
    const c = sb.portal.counters;
    const stats: SandboxStats = {
      portal: {
        requests: c.requests,
        commands: c.commands,
        writes: c.writes,
        queryLimitExceeded: c.queryLimitExceeded,
        operationTimeLimit: c.operationTimeLimit,
        commandsByMethod: { ...c.commandsByMethod },
      },
      egrul: { requests: sb.egrul.counters.requests },
      counts: { ...sb.portal.store.counts() },
    };
    port.postMessage({ id: m.id, stats });
  });
  port.postMessage({ ready: { webhookUrl: sb.webhookUrl, egrulUrl: sb.egrulUrl, egrulToken: sb.egrulToken } });
}

/** Starts the sandbox in a worker thread (run under tsx: the worker loads TypeScript the same way). */
export async function startRemoteSandbox(opts: SandboxOptions): Promise<RemoteSandbox> {
  // The worker registers tsx's loader itself, then loads this file (execArgv --import does not reach it on Node 20).
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: opts });
  let next = 0;
  const pending = new Map<number, (v: { stats?: SandboxStats }) => void>();
  const ready = await new Promise<{ webhookUrl: string; egrulUrl: string; egrulToken: string }>((resolve, reject) => {
    worker.once('error', reject);
    worker.on(
      'message',
      (m: {
        ready?: { webhookUrl: string; egrulUrl: string; egrulToken: string };
        id?: number;
        stats?: SandboxStats;
      }) => {
        if (m.ready) resolve(m.ready);
        else if (m.id !== undefined) {
          pending.get(m.id)?.(m);
          pending.delete(m.id);
        }
      },
    );
  });
  const ask = (op: Request['op']) =>
    new Promise<{ stats?: SandboxStats }>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      worker.postMessage({ id, op });
    });
  return {
    ...ready,
    stats: async () => (await ask('stats')).stats!,
    resetCounters: async () => {
      await ask('reset');
    },
    stop: async () => {
      await ask('stop');
      await worker.terminate();
    },
  };
}
