import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { Bitrix24Client } from '../connectors/bitrix24/rest-client.js';
import { parseConfig } from '../core/config.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { StatusField } from './status-field.js';

let sb: Sandbox;
let client: Bitrix24Client;
beforeAll(async () => {
  sb = await startSandbox({ rate: Number.POSITIVE_INFINITY });
  client = new Bitrix24Client(
    parseConfig(Bitrix24ConfigSchema, { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000 }),
  );
});
afterAll(async () => {
  await client.close();
  await sb.stop();
});

describe('StatusField', () => {
  it('adds the field once, and not at all when the portal has it already', async () => {
    sb.portal.resetCounters();
    const field = new StatusField(client, 'UF_CRM_REGISTER_STATUS');
    await Promise.all([field.ensure(), field.ensure()]);
    await field.ensure();
    expect(sb.portal.counters.commandsByMethod).toEqual({
      'crm.company.userfield.list': 1,
      'crm.company.userfield.add': 1,
    });
    expect(sb.portal.store.userFields('CRM_COMPANY')).toMatchObject([
      { FIELD_NAME: 'UF_CRM_REGISTER_STATUS', USER_TYPE_ID: 'string' },
    ]);
    sb.portal.resetCounters();
    await new StatusField(client, 'UF_CRM_REGISTER_STATUS').ensure(); // another process, the same portal
    expect(sb.portal.counters.commandsByMethod).toEqual({ 'crm.company.userfield.list': 1 });
  });

  it('says how to get past a refused add, and tries again on the next call', async () => {
    const field = new StatusField(client, 'UF_CRM_NOT-VALID');
    await expect(field.ensure()).rejects.toThrow(
      /cannot create the company field UF_CRM_NOT-VALID .*CRM administrator/,
    );
    sb.portal.resetCounters();
    await expect(field.ensure()).rejects.toThrow(/CRM administrator/);
    expect(sb.portal.counters.commandsByMethod['crm.company.userfield.add']).toBe(1);
  });
});
