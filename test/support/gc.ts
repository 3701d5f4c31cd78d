import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full GC on demand, so heap numbers measure what is retained rather than when the collector
 * last ran. vitest's workers do not run with --expose-gc; the flag can still be set at runtime
 * and `gc` taken from a fresh context.
 */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap in use right after a full collection: what is actually retained. */
export function retainedHeap(gc: () => void): number {
  gc();
  return process.memoryUsage().heapUsed;
}
