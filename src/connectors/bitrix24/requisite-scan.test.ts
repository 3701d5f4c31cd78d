import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { loadBitrix24Config } from './config.js';
import { invalidInnRequisites } from './requisite-scan.js';
import { Bitrix24Client } from './rest-client.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ rate: 1000, burst: 1000 });
});
afterAll(() => sb.stop());

describe('invalidInnRequisites', () => {
  it('lists the company requisites whose INN fails its check digits, across pages, and nothing else', async () => {
    const client = new Bitrix24Client(loadBitrix24Config({ webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000 }, {}));
    const bad = new Set<number>();
    for (let i = 0; i < 120; i++) {
      const id = Number(await client.call('crm.company.add', { fields: { TITLE: `К-${i}` } }));
      // Every tenth one mistyped (last digit off by one), one without an INN at all.
      const inn = i === 7 ? '' : i % 10 === 3 ? '7707083894' : '7707083893';
      await client.call('crm.requisite.add', {
        fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: id, PRESET_ID: 1, NAME: 'р', RQ_INN: inn },
      });
      if (inn !== '7707083893') bad.add(id);
    }
    const found = [];
    for await (const r of invalidInnRequisites(client)) found.push(r);
    expect(new Set(found.map((r) => r.companyId))).toEqual(bad);
    expect(found.find((r) => r.inn === '')?.reason).toBe('MISSING');
    await client.close();
  });
});
