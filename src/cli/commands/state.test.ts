import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { company, contact, person, upsert } from '../../resolve/fixtures.js';
import { Resolver } from '../../resolve/resolver.js';
import { AppConfig } from '../../config/schema.js';
import { changelogOf, formatRestore, formatVerify, getCompanyCommand, statsCommand, withStateStore } from './state.js';
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

describe('state restore / verify output', () => {
  const verify = { offset: '41', keys: 10, missing: 0, extra: 0, different: 0 };
  const none = { missing: [], extra: [], different: [] };

  it('says identical, or counts with example keys (never values)', () => {
    expect(formatVerify({ ...verify, examples: none }, 'var/state')).toBe(
      'var/state matches the changelog up to offset 41: 10 keys',
    );
    const text = formatVerify(
      {
        ...verify,
        missing: 1,
        different: 2,
        examples: { ...none, missing: ['companies/1'], different: ['a/1', 'a/2'] },
      },
      'd',
    );
    expect(text.split('\n')).toEqual([
      'd differs from the changelog up to offset 41 (10 keys): 1 missing, 0 extra, 2 different',
      '  missing   companies/1',
      '  different a/1',
      '  different a/2',
    ]);
  });

  it('prints a restore with its rates', () => {
    const line = formatRestore({
      dir: 'd',
      topic: 'crm-unify.changelog',
      messages: 2000,
      keys: 1500,
      companies: 300,
      offset: '2100',
      seconds: 2,
      companiesPerSec: 150,
      messagesPerSec: 1000,
      megabytesPerSec: 0.5,
    });
    expect(line).toBe(
      'restored d from crm-unify.changelog (up to offset 2100): 2000 messages, 1500 keys, 300 companies in 2.0 s ' +
        '(150 companies/s, 1000 messages/s, 0.5 MB/s)',
    );
  });

  it('needs ha.enabled and brokers', () => {
    const base = {
      crm: { webhookUrl: 'http://127.0.0.1:9/rest/1/x/' },
      registry: { url: 'http://127.0.0.1:9', token: 't' },
    };
    expect(() => changelogOf(AppConfig.parse(base), 'state restore')).toThrow(/set ha\.enabled: true/);
    const on = AppConfig.parse({ ...base, ha: { enabled: true, brokers: ['127.0.0.1:9092'], app: 'x' } });
    expect(changelogOf(on, 'state verify').topic).toBe('x.changelog');
  });
});
