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
  it('stores pre-encoded values as batch() would, atomically with the ops that follow them', async () => {
    const store = await openLevelStore(join(root, 'encoded'));
    try {
      const value = { inn: '7707083893', name: 'ООО «Ромашка»', contacts: ['C1'], n: 1.5, none: null };
      await store.batch([{ type: 'put', ns: 'positions', key: 'gone', value: 'x' }]);
      await store.batchEncoded(
        [
          {
            type: 'put',
            ns: 'registry',
            key: 'a',
            json: Buffer.from(JSON.stringify({ status: 'ACTIVE', fetchedAt: 't' })),
          },
          { type: 'put', ns: 'crmFindings', key: 'b', json: new TextEncoder().encode(JSON.stringify(value)) },
          { type: 'del', ns: 'positions', key: 'gone' },
        ],
        [{ type: 'put', ns: 'positions', key: 'changelog|t', value: '41' }],
      );
      expect(await store.get('registry', 'a')).toEqual({ status: 'ACTIVE', fetchedAt: 't' });
      expect(await store.get('crmFindings', 'b')).toEqual(value);
      expect(await store.get('positions', 'gone')).toBeUndefined();
      expect(await store.get('positions', 'changelog|t')).toBe('41');
      expect(await store.getMany('crmFindings', ['b'])).toEqual([value]);
      const listed = [];
      for await (const e of store.iterate('crmFindings')) listed.push(e);
      expect(listed).toEqual([['b', value]]);
    } finally {
      await store.close();
    }
  });

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
