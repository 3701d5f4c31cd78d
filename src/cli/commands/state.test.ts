import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { company, contact, person, upsert } from '../../resolve/fixtures.js';
import { Resolver } from '../../resolve/resolver.js';
import { getCompanyCommand, statsCommand, withStateStore } from './state.js';
import { openLevelStore } from '../../state/level-store.js';

describe('state commands', () => {
  it('prints stats and a golden company from a LevelDB state dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-unify-cmd-'));
    try {
      const store = await openLevelStore(dir);
      const r = new Resolver(store);
      await r.resolve(upsert(company({ kpp: '773601001' })), { ref: 'p0@0' });
      await r.resolve(person(contact({ lastName: 'Иванов', firstName: 'Иван' })), { ref: 'p0@1' });
      await store.close();

      const text = await withStateStore(dir, (s) => statsCommand(s));
      expect(text).toContain('companies  1 (active 1, deleted 0; pending 1, synced 0)');
      const json = JSON.parse(await withStateStore(dir, (s) => statsCommand(s, { json: true })));
      expect(json.contacts).toMatchObject({ total: 1, pending: 1 });

      const got = await withStateStore(dir, (s) => getCompanyCommand(s, '7707083893'));
      expect(got.found).toBe(true);
      expect(got.output).toContain('requisites 773601001');
      expect(got.output).toContain('Иванов Иван');
      const missing = await withStateStore(dir, (s) => getCompanyCommand(s, '7736207543'));
      expect(missing).toEqual({ found: false, output: 'no golden company with INN 7736207543' });
      await expect(withStateStore(dir, (s) => getCompanyCommand(s, '12'))).rejects.toMatchObject({ code: 'USAGE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
