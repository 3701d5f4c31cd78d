import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ok, testPortal } from './test-helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('--data persistence', () => {
  it('survives a restart: records, multifield rows and id sequences', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'b24-sandbox-'));
    dirs.push(dir);
    const file = join(dir, 'portal.json');
    const a = await testPortal({ data: file, dataDebounceMs: 10 });
    const co = await ok<number>(a.webhookUrl, 'crm.company.add', {
      fields: { TITLE: 'Kept', PHONE: [{ VALUE: '+74955005550' }] },
    });
    await ok(a.webhookUrl, 'crm.company.delete', {
      id: await ok<number>(a.webhookUrl, 'crm.company.add', { fields: { TITLE: 'Gone' } }),
    });
    await a.stop();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ version: 1, seq: { company: 2 } });

    const b = await testPortal({ data: file });
    expect(await ok(b.webhookUrl, 'crm.company.get', { id: co })).toMatchObject({
      TITLE: 'Kept',
      PHONE: [{ VALUE: '+74955005550' }],
    });
    expect(await ok(b.webhookUrl, 'crm.company.add', { fields: { TITLE: 'Next' } })).toBe(3); // ids are never reused
    await b.stop();
  });
});
