// Small process helpers shared by the Kafka and MySQL launchers: finding executables, checking and
// stopping processes by pid (the CLI's `down` runs in another process than `up`, so a pid is all
// it has), and reading the tail of a log for error messages.
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Absolute path of an executable on PATH (or in extraDirs, e.g. /usr/sbin for mariadbd), or undefined. */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** The process's command line (Linux /proc), '' when unknown or gone. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** True while the process exists and is not a zombie (an unreaped child still answers kill(0)). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Field 3 of /proc/PID/stat is the state; the name in field 2 may contain spaces, hence ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * SIGTERM, then SIGKILL if the process is still there after graceMs. `expect` guards against pid
 * reuse: a recorded pid is only signalled while its command line still contains that text.
 */
export async function stopPid(pid: number, opts: { graceMs?: number; expect?: string } = {}): Promise<void> {
  if (!isAlive(pid)) return;
  if (opts.expect !== undefined && !commandLineOf(pid).includes(opts.expect)) return;
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, opts.graceMs ?? 15_000)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
}

/** Immediate SIGKILL (a crash, for chaos tests), waiting until the process is gone. */
export async function killPid(pid: number): Promise<void> {
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Last lines of a log file, for error messages; '' if unreadable. */
export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// Servers started attached to this process get a SIGTERM if it exits without stopping them (a
// crashed or interrupted test run), so no JVM or mysqld outlives it. Detached ones are not listed.
const stopOnExitPids = new Set<number>();
let exitHookInstalled = false;

export function stopOnExit(pid: number): void {
  stopOnExitPids.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of stopOnExitPids) signal(p, 'SIGTERM');
  });
}

export function forgetOnExit(pid: number): void {
  stopOnExitPids.delete(pid);
}
