import { access, cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { CrmUnifyError } from '../core/errors.js';

export interface ScratchState {
  /** The copy to run against (a LevelDB directory; empty when there was no state yet). */
  dir: string;
  /** Whether a state was copied (false: the plan starts from an empty state). */
  copied: boolean;
  drop(): Promise<void>;
}

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Takes LevelDB's lock on `dir` without opening (and so rewriting) that database: a throwaway
 * database whose LOCK file is a link to `dir`'s. A running service holds that lock: then this
 * fails. Holding it keeps a service from starting while the files are copied.
 */
async function holdLock(dir: string, probeDir: string): Promise<() => Promise<void>> {
  await mkdir(probeDir, { recursive: true });
  await symlink(join(dir, 'LOCK'), join(probeDir, 'LOCK'));
  const probe = new Level(probeDir);
  try {
    await probe.open();
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
    if (code === 'LEVEL_LOCKED') {
      throw new CrmUnifyError(
        'STATE_STORE_LOCKED',
        `state store ${dir} is locked: a crm-unify process has it open; plan copies the state, and a copy taken while ` +
          'a service writes it would not be consistent: stop the service (or point plan at a stopped copy with --state-dir)',
        { cause: err, details: { dir } },
      );
    }
    throw new CrmUnifyError(
      'STATE_STORE_FAILED',
      `cannot check the lock of state store ${dir}: ${(err as Error).message}`,
      { cause: err, details: { dir } },
    );
  }
  return () => probe.close();
}

/**
 * A private copy of the state store for a dry run (`crm-unify plan`): the real directory is only
 * read — LevelDB rewrites its files whenever it opens a database, so the copy is what gets opened.
 */
export async function scratchState(dir: string): Promise<ScratchState> {
  const root = await mkdtemp(join(tmpdir(), 'crm-unify-plan-'));
  const copy = join(root, 'state');
  const drop = () => rm(root, { recursive: true, force: true });
  try {
    if (!(await exists(join(dir, 'CURRENT')))) {
      await mkdir(copy);
      return { dir: copy, copied: false, drop };
    }
    // Without a LOCK file nobody can hold the lock (and linking to it would create one in `dir`).
    const release = (await exists(join(dir, 'LOCK'))) ? await holdLock(dir, join(root, 'lock-probe')) : async () => {};
    try {
      await cp(dir, copy, { recursive: true, filter: (src) => src !== join(dir, 'LOCK') });
    } finally {
      await release();
    }
    return { dir: copy, copied: true, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}
