import { Worker } from 'node:worker_threads';
import { CrmUnifyError } from '../../core/errors.js';
import type { CanonicalChange, Outcome } from '../../model/index.js';
import { portable } from './portable.js';
import type { MapRequest, MapResponse, MapResult } from './protocol.js';

/**
 * A mapper that can also run on the map thread: it names the module that exports it and the
 * export, since a function cannot be sent to another thread. Still an ordinary function here.
 */
export type WorkerMapper<Raw> = ((raw: Raw) => Outcome<CanonicalChange>) & {
  readonly workerModule: string;
  readonly workerExport: string;
};

/** Marks `fn`, exported as `name` by the module at `moduleUrl` (its `import.meta.url`), as able to run on the map thread. */
export function workerMapper<Raw>(moduleUrl: string, name: string, fn: (raw: Raw) => Outcome<CanonicalChange>): WorkerMapper<Raw> {
  Object.defineProperty(fn, 'name', { value: name }); // an arrow passed here has none; `run --describe` shows it
  return Object.assign(fn, { workerModule: moduleUrl, workerExport: name });
}

export function isWorkerMapper<Raw>(fn: (raw: Raw) => Outcome<CanonicalChange>): fn is WorkerMapper<Raw> {
  return typeof (fn as Partial<WorkerMapper<Raw>>).workerModule === 'string';
}

interface Waiter {
  resolve: (o: Outcome<CanonicalChange>) => void;
  reject: (e: unknown) => void;
}

/** Items per message: large enough to amortize a message, small enough to overlap both threads. */
const MAX_BATCH = 256;

/**
 * One worker thread that maps raw records for every map stage of the process (2 cores: mapping
 * beside resolution instead of before it on one event loop). Records are sent in batches
 * gathered within one turn of the event loop and answered in order, so each stage gets its
 * outcomes in the order it read the records. If the thread dies, every waiting record fails
 * with a retriable error: the topology stops (nothing acked) rather than rejecting good records.
 */
export class MapThread {
  private readonly worker: Worker;
  private queue: Array<{ module: string; name: string; raw: unknown; waiter: Waiter }> = [];
  private readonly waiting = new Map<number, Waiter[]>();
  private nextId = 0;
  private scheduled = false;
  private failure: CrmUnifyError | null = null;
  refs = 0;

  constructor() {
    const typescript = import.meta.url.endsWith('.ts');
    this.worker = new Worker(new URL('./bootstrap.mjs', import.meta.url), {
      workerData: { typescript, entry: new URL(`./worker.${typescript ? 'ts' : 'js'}`, import.meta.url).href },
      execArgv: [],
    });
    this.worker.on('message', (res: MapResponse) => this.settle(res));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`exited with code ${code}`)));
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  map<Raw>(mapper: WorkerMapper<Raw>, raw: Raw): Promise<Outcome<CanonicalChange>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ module: mapper.workerModule, name: mapper.workerExport, raw: portable(raw), waiter: { resolve, reject } });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.send());
      }
    });
  }

  async close(): Promise<void> {
    this.failure ??= new CrmUnifyError('SHUTDOWN', 'map thread closed');
    await this.worker.terminate();
  }

  /** Sends the queue as requests of one mapper each, in order. */
  private send(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (let i = 0; i < queue.length;) {
      const { module, name } = queue[i]!;
      const items: unknown[] = [];
      const waiters: Waiter[] = [];
      for (; i < queue.length && items.length < MAX_BATCH && queue[i]!.module === module && queue[i]!.name === name; i++) {
        items.push(queue[i]!.raw);
        waiters.push(queue[i]!.waiter);
      }
      const id = this.nextId++;
      this.waiting.set(id, waiters);
      try {
        this.worker.postMessage({ id, module, name, items } satisfies MapRequest);
      } catch (err) {
        // A raw record the structured clone cannot copy (a function, a socket): that batch's records fail.
        this.waiting.delete(id);
        for (const w of waiters) w.reject(err);
      }
    }
  }

  private settle(res: MapResponse): void {
    const waiters = this.waiting.get(res.id);
    if (!waiters) return;
    this.waiting.delete(res.id);
    if ('failed' in res) {
      this.fail(new Error(res.failed));
      for (const w of waiters) w.reject(this.failure);
      return;
    }
    const results = JSON.parse(res.json) as MapResult[];
    for (let i = 0; i < waiters.length; i++) {
      const r = results[i]!;
      if ('o' in r) waiters[i]!.resolve(r.o as Outcome<CanonicalChange>);
      else waiters[i]!.reject(new Error(r.e));
    }
  }

  private fail(err: unknown): void {
    if (!this.failure) {
      this.failure = new CrmUnifyError('TOPOLOGY_FAILED', `map thread stopped: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err, retriable: true });
    }
    for (const waiters of this.waiting.values()) for (const w of waiters) w.reject(this.failure);
    this.waiting.clear();
    for (const q of this.queue) q.waiter.reject(this.failure);
    this.queue = [];
  }
}

let shared: MapThread | null = null;

/** The process's map thread, started on first use and shared by every map stage. */
export function acquireMapThread(): MapThread {
  if (!shared || shared.failed) shared = new MapThread();
  shared.refs++;
  return shared;
}

/** Stops the thread when no stage uses it any more. */
export function releaseMapThread(t: MapThread): void {
  if (--t.refs > 0) return;
  if (shared === t) shared = null;
  void t.close();
}
