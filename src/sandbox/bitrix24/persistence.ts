/**
 * `--data FILE`: the portal's state survives restarts. Loaded at start; every change schedules a
 * write (debounced, so a batch of 50 adds is one write); stop() flushes. Writes go to a temp file
 * then rename, so a crash mid-write never leaves a torn file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { PortalStore, StoreSnapshot } from './store.js';

export interface Persistence {
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function persistStore(store: PortalStore, file: string, debounceMs = 200): Persistence {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    let snap: StoreSnapshot;
    try {
      snap = JSON.parse(text) as StoreSnapshot;
    } catch (err) {
      throw new Error(`sandbox data file ${file} is not valid JSON`, { cause: err });
    }
    store.load(snap);
  }
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  const write = (): Promise<void> => {
    timer = undefined;
    if (!dirty) return writing;
    dirty = false;
    const text = JSON.stringify(store.snapshot());
    // chain writes so two never interleave on the temp file
    writing = writing.then(async () => {
      const tmp = `${file}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, file);
    });
    return writing;
  };

  store.onChange(() => {
    if (closed) return;
    dirty = true;
    timer ??= setTimeout(() => void write(), debounceMs);
  });

  return {
    flush: async () => {
      if (timer) clearTimeout(timer);
      await write();
    },
    close: async () => {
      if (timer) clearTimeout(timer);
      await write();
      closed = true;
    },
  };
}
