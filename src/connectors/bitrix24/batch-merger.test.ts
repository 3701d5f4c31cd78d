import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { loadBitrix24Config } from './config.js';
import { Bitrix24Client, type BatchCommand } from './rest-client.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ rate: 1000, burst: 1000, faults: 'latency=40-60' });
});
afterAll(() => sb.stop());

const client = (extra: Record<string, unknown> = {}) =>
  new Bitrix24Client(
    loadBitrix24Config(
      { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000, concurrency: 1, retryBaseMs: 5, retryMaxMs: 20, ...extra },
      {},
    ),
  );

/** A company with a requisite chained to it by `$result`, and a read of the company: 3 commands. */
const chain = (title: string): Record<string, BatchCommand> => ({
  c: { method: 'crm.company.add', params: { fields: { TITLE: title } } },
  r: {
    method: 'crm.requisite.add',
    params: { fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: '$result[c]', PRESET_ID: 1, NAME: title } },
  },
  g: { method: 'crm.company.get', params: { id: '$result[c]' } },
});

describe('BatchMerger (through Bitrix24Client.batch)', () => {
  it('sends part-empty batches that queue behind a request in one, each answered under its own keys and references', async () => {
    const c = client();
    sb.portal.resetCounters();
    const titles = ['Альфа', 'Бета', 'Гамма', 'Дельта'];
    // One request slot: the first goes out at once, the other three queue behind it and share the next.
    const answers = await Promise.all(titles.map((t) => c.batch(chain(t))));
    expect(sb.portal.counters.requests).toBe(2);
    answers.forEach((a, i) => {
      expect(Object.keys(a.result).sort()).toEqual(['c', 'g', 'r']);
      expect((a.result.g as { TITLE: string }).TITLE).toBe(titles[i]);
      const req = sb.portal.store.get('requisite', Number(a.result.r))!;
      expect(Number(req.fields.ENTITY_ID)).toBe(Number(a.result.c));
    });
    await c.close();
  });

  it('never makes a request of more than 50 commands, and merges nothing when switched off', async () => {
    const big: Record<string, BatchCommand> = {};
    for (let i = 0; i < 48; i++)
      big[`k${i}`] = { method: 'crm.company.list', params: { filter: { ID: i + 1 }, select: ['ID'] } };
    const on = client();
    sb.portal.resetCounters();
    // The first goes at once; then 48 + 3 do not fit in one request of 50: each goes alone.
    const [, listed, last] = await Promise.all([on.batch(chain('Эпсилон')), on.batch(big), on.batch(chain('Дзета'))]);
    expect(sb.portal.counters.requests).toBe(3);
    expect(Object.keys(listed.result)).toHaveLength(48);
    expect((last.result.g as { TITLE: string }).TITLE).toBe('Дзета');
    await on.close();

    const off = client({ mergeBatches: false });
    sb.portal.resetCounters();
    await Promise.all(['Эта', 'Тета', 'Йота'].map((t) => off.batch(chain(t))));
    expect(sb.portal.counters.requests).toBe(3);
    await off.close();
  });
});
