import { setTimeout as sleep } from 'node:timers/promises';
import type ZongJi from '@vlasky/zongji';

/**
 * Stops a binlog client and waits for its 'stopped', at most `ms` (a lost server may never
 * answer). `ref: false` lets the process exit during the wait.
 */
export async function stopZongJi(client: ZongJi, ms: number, opts: { ref?: boolean } = {}): Promise<void> {
  const stopped = new Promise<void>((resolve) => client.once('stopped', () => resolve()));
  client.stop();
  await Promise.race([stopped, sleep(ms, undefined, { ref: opts.ref ?? true })]);
}

/** The server refuses an operation for want of a privilege (1227, e.g. REPLICATION SLAVE for the binlog dump). */
export function isPrivilegeRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return e?.code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR' || e?.errno === 1227;
}

/**
 * The server cannot serve the binlog position asked for: 1236 (ER_MASTER_FATAL_ERROR_READING_BINLOG,
 * e.g. "Could not find first log file name in binary log index file" once the file is purged).
 */
export function isPositionLost(err: unknown): boolean {
  return (err as { errno?: unknown } | null)?.errno === 1236;
}
