/**
 * The official @bitrix24/b24jssdk, unchanged, against the HTTPS portal emulator. The SDK refuses
 * http:// webhooks, so the sandbox serves TLS with a self-signed certificate, and the client
 * trusts it explicitly: in-process through the SDK's public axios instance (`ajaxClient`) given an
 * https.Agent with `ca`, and in a child process through NODE_EXTRA_CA_CERTS, as a user would.
 */
import { execFile } from 'node:child_process';
import https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiVersion, B24Hook } from '@bitrix24/b24jssdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './sandbox.js';

let sb: Sandbox;
let b24: B24Hook;

beforeAll(async () => {
  sb = await startSandbox({ tls: true, rate: 2, burst: 50, egrulLatencyMs: 0 });
  b24 = B24Hook.fromWebhookUrl(sb.webhookUrl);
  b24.offClientSideWarning();
  const agent = new https.Agent({ ca: sb.ca });
  for (const v of [ApiVersion.v2, ApiVersion.v3]) b24.getHttpClient(v).ajaxClient.defaults.httpsAgent = agent;
});
afterAll(() => sb.stop());

describe('@bitrix24/b24jssdk against the emulator', () => {
  it('refuses the plain-http URL and accepts the https one', () => {
    expect(() => B24Hook.fromWebhookUrl(sb.webhookUrl.replace('https:', 'http:'))).toThrow(/HTTPS/);
    expect(sb.webhookUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/rest\/1\/sandbox\/$/);
  });

  it('adds, gets and lists with paging (call.make, callList, fetchList, legacy callListMethod)', async () => {
    const add = await b24.actions.v2.call.make<number>({
      method: 'crm.company.add',
      params: {
        fields: {
          TITLE: 'ООО "Ромашка"',
          ORIGINATOR_ID: 'crm-unify',
          ORIGIN_ID: 'g-0',
          PHONE: [{ VALUE: '+74955005550', VALUE_TYPE: 'WORK' }],
        },
      },
    });
    expect(add.isSuccess).toBe(true);
    const id = add.getData()?.result as number;
    expect(id).toBeGreaterThan(0);

    const got = await b24.actions.v2.call.make<Record<string, unknown>>({ method: 'crm.company.get', params: { id } });
    expect(got.getData()?.result).toMatchObject({
      ID: String(id),
      TITLE: 'ООО "Ромашка"',
      PHONE: [{ VALUE: '+74955005550' }],
    });

    // 120 more, 50 per batch: the SDK builds `method?query` strings with qs
    for (let chunk = 0; chunk < 3; chunk++) {
      const calls = Array.from(
        { length: chunk < 2 ? 50 : 20 },
        (_, i) =>
          ['crm.company.add', { fields: { TITLE: `Co ${chunk * 50 + i + 1}`, ORIGINATOR_ID: 'crm-unify' } }] as [
            string,
            object,
          ],
      );
      const res = await b24.actions.v2.batch.make({ calls, options: { isHaltOnError: true } });
      expect(res.isSuccess).toBe(true);
    }

    const all = await b24.actions.v2.callList.make<{ ID: string }>({
      method: 'crm.company.list',
      params: { filter: { ORIGINATOR_ID: 'crm-unify' }, select: ['ID', 'TITLE'] },
    });
    expect(all.isSuccess).toBe(true);
    expect(all.getData()).toHaveLength(121);

    const pages: number[] = [];
    for await (const page of b24.actions.v2.fetchList.make<{ ID: string }>({
      method: 'crm.company.list',
      params: { select: ['ID'] },
    })) {
      pages.push(page.length);
    }
    expect(pages).toEqual([50, 50, 21]);

    // the offset style: total / next / start
    const legacy = await b24.callListMethod('crm.company.list', { select: ['ID'] });
    expect(legacy.getData()).toHaveLength(121);
    const first = await b24.actions.v2.call.make({ method: 'crm.company.list', params: { select: ['ID'] } });
    expect(first.getTotal()).toBe(121);
    expect(first.isMore()).toBe(true);
  });

  it('runs a named batch with a $result reference and reports a failed command', async () => {
    const res = await b24.actions.v2.batch.make({
      calls: {
        co: { method: 'crm.company.add', params: { fields: { TITLE: 'Batch Co' } } },
        rq: {
          method: 'crm.requisite.add',
          params: {
            fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: '$result[co]', PRESET_ID: 1, NAME: 'Org', RQ_INN: '7707083893' },
          },
        },
        missing: { method: 'crm.company.get', params: { id: 999999 } },
        unknown: { method: 'crm.company.frobnicate', params: {} },
      },
      options: { isHaltOnError: false, returnAjaxResult: true },
    });
    const data = res.getData() as Record<string, { isSuccess: boolean; getData(): { result: unknown } }>;
    expect(data.co?.isSuccess).toBe(true);
    expect(data.rq?.isSuccess).toBe(true);
    expect(data.unknown?.isSuccess).toBe(false);
    // SDK 2.2.0 quirk, faithful to the portal's `error: ""` for method-level failures: a batch row
    // whose code is empty counts as a success with no result. Clients must read result_error keys.
    expect(data.missing?.isSuccess).toBe(true);
    expect(data.missing?.getData().result).toBeUndefined();
    const rqId = data.rq?.getData().result as number;
    const rq = await b24.actions.v2.call.make<Record<string, string>>({
      method: 'crm.requisite.get',
      params: { id: rqId },
    });
    expect(rq.getData()?.result.ENTITY_ID).toBe(String(data.co?.getData().result));
    expect(sb.portal.counters.queryLimitExceeded).toBe(0); // the SDK's own bucket matches the portal's
  });

  it('imports through crm.item.batchImport with call.make, and chains a batch on its items', async () => {
    const res = await b24.actions.v2.call.make<{ items: Array<{ item?: { id: number }; error?: string }> }>({
      method: 'crm.item.batchImport',
      params: {
        entityTypeId: 4,
        data: [
          {
            title: 'Imported',
            originatorId: 'crm-unify',
            originId: 'imp-1',
            fm: [{ typeId: 'PHONE', valueType: 'WORK', value: '+74951112233' }],
          },
          { title: 'Bad', fm: [{ typeId: 'EMAIL', value: 'x' }] },
        ],
      },
    });
    expect(res.isSuccess).toBe(true);
    const items = res.getData()?.result.items ?? [];
    expect(items[1]?.error).toBe('CRM_FIELD_ERROR_VALUE_NOT_VALID');
    const id = items[0]?.item?.id as number;
    const chained = await b24.actions.v2.batch.make({
      calls: {
        imp: { method: 'crm.item.batchImport', params: { entityTypeId: 3, data: [{ name: 'Anna', companyId: id }] } },
        get: { method: 'crm.contact.get', params: { id: '$result[imp][items][0][item][id]' } },
      },
      options: { isHaltOnError: true, returnAjaxResult: true },
    });
    const data = chained.getData() as Record<string, { getData(): { result: Record<string, unknown> } }>;
    expect(data.get?.getData().result).toMatchObject({ NAME: 'Anna', COMPANY_ID: String(id) });
  });

  it('works in a fresh process trusting the sandbox through NODE_EXTRA_CA_CERTS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'b24-ca-'));
    try {
      const caFile = join(dir, 'ca.pem');
      await writeFile(caFile, sb.ca ?? '');
      const script = fileURLToPath(new URL('./fixtures/b24jssdk-client.mjs', import.meta.url));
      const { stdout } = await promisify(execFile)(process.execPath, [script, sb.webhookUrl], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
        timeout: 20_000,
      });
      expect(JSON.parse(stdout)).toMatchObject({ ok: true, title: 'From child' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
