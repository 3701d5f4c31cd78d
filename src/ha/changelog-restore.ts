import { rm } from 'node:fs/promises';
import { CrmUnifyError } from '../core/errors.js';
import { openLevelStore } from '../state/level-store.js';
import { namespaces } from '../state/store.js';
import { catchUp, type FollowOptions } from './changelog-follower.js';
import { holdsState } from './changelog-seed.js';

export interface RestoreResult {
  dir: string;
  topic: string;
  /** Changelog messages applied (every version of every key still in the topic). */
  messages: number;
  /** Keys in the restored state (the applied-offset key left out). */
  keys: number;
  companies: number;
  /** The last changelog offset the state holds. */
  offset: string | null;
  /** Reading and applying the changelog (counting keys afterwards not included). */
  seconds: number;
  companiesPerSec: number;
  messagesPerSec: number;
  /** Key and value bytes read, per second. */
  megabytesPerSec: number;
}

/**
 * Builds a state directory from the changelog alone (a lost disk and no standby). A directory
 * that already holds state is refused unless `force`, which deletes it first: restoring over a
 * state would keep whatever the changelog no longer has.
 */
export async function restoreFromChangelog(
  dir: string,
  opts: FollowOptions & { force?: boolean },
): Promise<RestoreResult> {
  let store = await openLevelStore(dir); // fails with STATE_STORE_LOCKED while a process uses it
  try {
    if (await holdsState(store)) {
      if (!opts.force) {
        throw new CrmUnifyError('USAGE', `${dir} already holds state; --force deletes it and restores afresh`);
      }
      await store.close();
      await rm(dir, { recursive: true, force: true });
      store = await openLevelStore(dir);
    }
    let bytes = 0;
    const started = performance.now();
    const r = await catchUp(store, { ...opts, onBytes: (n) => (bytes += n) });
    const seconds = (performance.now() - started) / 1000;
    const companies = await store.count('companies');
    let keys = 0;
    for (const ns of namespaces) keys += await store.count(ns);
    if (r.offset !== null) keys--; // the applied-offset key
    return {
      dir,
      topic: opts.topic,
      messages: r.messages,
      keys,
      companies,
      offset: r.offset,
      seconds,
      companiesPerSec: companies / seconds,
      messagesPerSec: r.messages / seconds,
      megabytesPerSec: bytes / (1 << 20) / seconds,
    };
  } finally {
    await store.close();
  }
}
