import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of this process's threads, from /proc (Linux; undefined elsewhere). Node names every
 * thread "node", so the split is the main thread (the event loop: JS, JSON, GC on it) against all
 * others (LevelDB's compaction thread and the libuv threads its reads and writes run on, V8's
 * GC helpers).
 */
export interface ThreadCpu {
  mainMs: number;
  otherMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function threadCpu(): ThreadCpu | undefined {
  try {
    let mainMs = 0;
    let otherMs = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
      if (Number(tid) === process.pid) mainMs += ms;
      else otherMs += ms;
    }
    return { mainMs, otherMs };
  } catch {
    return undefined;
  }
}

/** CPU µs per record on the main thread and on all other threads between two readings. */
export function cpuPerRecord(
  before: ThreadCpu | undefined,
  after: ThreadCpu | undefined,
  records: number,
): { main: number; other: number } | undefined {
  if (!before || !after) return undefined;
  return {
    main: ((after.mainMs - before.mainMs) * 1000) / records,
    other: ((after.otherMs - before.otherMs) * 1000) / records,
  };
}
