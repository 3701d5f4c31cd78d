// .services/state.json (repo-local, gitignored): what `npm run services -- up` started, so that
// `down` and `env` in other processes, and the vitest global setup, can find it again.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STATE_FILE = join(REPO_ROOT, '.services', 'state.json');

/** A service the CLI knows about; pid and runDir only when the CLI started it. */
export interface ServiceRecord {
  pid?: number;
  runDir?: string;
}

export interface ServicesState {
  kafka?: ServiceRecord & { brokers: string[]; version?: string };
  mysql?: ServiceRecord & { url: string };
}

export function readState(): ServicesState {
  if (!existsSync(STATE_FILE)) return {};
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ServicesState;
  } catch {
    return {}; // a broken file is treated as "nothing up"; `up` rewrites it
  }
}

export function writeState(state: ServicesState): void {
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

export function clearState(): void {
  rmSync(STATE_FILE, { force: true });
}
