import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLevelStore } from './level-store.js';
import { stateStoreContract } from './state-store.contract.js';

const root = mkdtempSync(join(tmpdir(), 'crm-unify-level-'));
let n = 0;
let current = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

stateStoreContract({
  name: 'level',
  open: () => openLevelStore((current = join(root, `db${n++}`))),
  reopen: () => openLevelStore(current),
});

describe('LevelStateStore', () => {
  it('refuses a second writer with STATE_STORE_LOCKED', async () => {
    const dir = join(root, 'locked');
    const first = await openLevelStore(dir);
    try {
      await expect(openLevelStore(dir)).rejects.toMatchObject({ code: 'STATE_STORE_LOCKED', name: 'CrmUnifyError' });
    } finally {
      await first.close();
    }
    const again = await openLevelStore(dir);
    await again.close();
  });
});
