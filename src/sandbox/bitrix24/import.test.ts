import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PortalServer } from './index.js';
import { call, ok, testPortal } from './test-helpers.js';

let srv: PortalServer;
let hook: string;
beforeAll(async () => {
  srv = await testPortal({ webhookUser: '5' });
  hook = srv.webhookUrl;
});
afterAll(() => srv.stop());
beforeEach(() => {
  srv.portal.store.clear();
  srv.portal.resetCounters();
});

type Items = { items: Array<{ item?: { id: number }; error?: string; error_description?: string }> };

describe('crm.item.batchImport / crm.item.import', () => {
  it('imports companies with camelCase fields and fm, served back by crm.company.*', async () => {
    const r = await ok<Items>(hook, 'crm.item.batchImport', {
      entityTypeId: 4,
      data: [
        {
          title: 'Acme',
          originatorId: 'crm-unify',
          originId: 'g-1',
          originVersion: 'v1',
          typeId: 'PARTNER',
          address: 'Moscow',
          fm: [
            { typeId: 'PHONE', valueType: 'WORK', value: '+74950000001' },
            { typeId: 'EMAIL', valueType: 'WORK', value: 'a@acme.ru' },
          ],
        },
        { TITLE: 'Upper Ltd', PHONE: [{ VALUE: '+74950000002', VALUE_TYPE: 'MOBILE' }] },
      ],
    });
    expect(r).toEqual({ items: [{ item: { id: 1 } }, { item: { id: 2 } }] });
    const c = await ok<Record<string, unknown>>(hook, 'crm.company.get', { id: 1 });
    expect(c).toMatchObject({
      TITLE: 'Acme',
      ORIGINATOR_ID: 'crm-unify',
      ORIGIN_ID: 'g-1',
      ORIGIN_VERSION: 'v1',
      COMPANY_TYPE: 'PARTNER',
      ADDRESS: 'Moscow',
      CREATED_BY_ID: '5',
      HAS_PHONE: 'Y',
      PHONE: [{ ID: expect.any(String), VALUE: '+74950000001', VALUE_TYPE: 'WORK', TYPE_ID: 'PHONE' }],
      EMAIL: [{ VALUE: 'a@acme.ru', VALUE_TYPE: 'WORK', TYPE_ID: 'EMAIL' }],
    });
    expect(await ok(hook, 'crm.company.get', { id: 2 })).toMatchObject({
      TITLE: 'Upper Ltd',
      PHONE: [{ VALUE: '+74950000002', VALUE_TYPE: 'MOBILE' }],
    });
    expect(srv.portal.counters).toMatchObject({
      writes: 2,
      commandsByMethod: { 'crm.item.batchimport': 1, 'crm.company.get': 2 },
    });
  });

  it('imports contacts linked to companies; a bad item fails alone, in order, and the rest are created', async () => {
    await ok(hook, 'crm.item.import', { entityTypeId: 4, fields: { title: 'Owner' } });
    const r = await ok<Items>(hook, 'crm.item.batchImport', {
      entityTypeId: 3,
      data: [
        { name: 'Ivan', lastName: 'Petrov', secondName: 'Ilyich', post: 'CEO', companyId: 1, originId: 'p-1' },
        { name: 'Bad', companyId: 999 },
        { name: 'Olga', companyIds: [1], fm: [{ typeId: 'EMAIL', valueType: 'WORK', value: 'not-an-email' }] },
        { lastName: 'Sidorova', companyIds: [1] },
      ],
    });
    expect(r.items).toEqual([
      { item: { id: 1 } },
      { error: 'CRM_FIELD_ERROR_VALUE_NOT_VALID', error_description: 'Invalid value for field "Company"' },
      { error: 'CRM_FIELD_ERROR_VALUE_NOT_VALID', error_description: 'Invalid value for field "E-mail"' },
      { item: { id: 2 } },
    ]);
    expect(await ok(hook, 'crm.contact.get', { id: 1 })).toMatchObject({
      NAME: 'Ivan',
      LAST_NAME: 'Petrov',
      SECOND_NAME: 'Ilyich',
      POST: 'CEO',
      COMPANY_ID: '1',
      ORIGIN_ID: 'p-1',
    });
    expect(await ok(hook, 'crm.contact.get', { id: 2 })).toMatchObject({ LAST_NAME: 'Sidorova', COMPANY_ID: '1' });
    expect(srv.portal.store.counts().contact).toBe(2);
    expect(srv.portal.counters.writes).toBe(3);
  });

  it('gives a title-less company the default title, and answers crm.item.import with {item: {id}}', async () => {
    expect(await ok(hook, 'crm.item.import', { entityTypeId: 4, fields: { originId: 'x' } })).toEqual({
      item: { id: 1 },
    });
    expect(await ok(hook, 'crm.company.get', { id: 1 })).toMatchObject({ TITLE: 'Company #1', ORIGIN_ID: 'x' });
    expect(await call(hook, 'crm.item.import', { entityTypeId: 3, fields: { companyId: 42 } })).toEqual({
      status: 400,
      body: { error: 'CRM_FIELD_ERROR_VALUE_NOT_VALID', error_description: 'Invalid value for field "Company"' },
    });
  });

  it('refuses more than 20 items without importing any, and unknown entity types', async () => {
    const data = Array.from({ length: 21 }, (_, i) => ({ title: `C${i}` }));
    expect(await call(hook, 'crm.item.batchImport', { entityTypeId: 4, data })).toEqual({
      status: 400,
      body: { error: 'MAX_IMPORT_BATCH_SIZE_EXCEEDED', error_description: 'You cannot import more than 20 items' },
    });
    expect(srv.portal.store.counts().company).toBe(0);
    expect((await call(hook, 'crm.item.batchImport', { entityTypeId: 1234, data: [{}] })).body).toEqual({
      error: 'NOT_FOUND',
      error_description: 'Smart process not found',
    });
    expect(
      (await ok<Items>(hook, 'crm.item.batchImport', { entityTypeId: 4, data: data.slice(0, 20) })).items,
    ).toHaveLength(20);
  });

  it('works inside batch, where $result[k][items][i][item][id] reaches into the answer; a failed item leaves the reference literal', async () => {
    const a = await call(hook, 'batch', {
      halt: 0,
      cmd: {
        co: 'crm.item.batchImport?entityTypeId=4&data[0][title]=A&data[1][title]=B&data[1][fm][0][typeId]=EMAIL&data[1][fm][0][value]=bad',
        ct:
          'crm.item.batchImport?entityTypeId=3&data[0][name]=Ann&data[0][companyId]=$result[co][items][0][item][id]' +
          '&data[1][name]=Bob&data[1][companyId]=$result[co][items][1][item][id]',
        rq: 'crm.requisite.add?fields[ENTITY_TYPE_ID]=4&fields[ENTITY_ID]=$result[co][items][0][item][id]&fields[PRESET_ID]=1&fields[RQ_INN]=7707083893',
      },
    });
    const r = (a.body.result as { result: Record<string, unknown>; result_error: unknown }).result;
    expect(r.co).toEqual({
      items: [
        { item: { id: 1 } },
        { error: 'CRM_FIELD_ERROR_VALUE_NOT_VALID', error_description: 'Invalid value for field "E-mail"' },
      ],
    });
    expect(r.ct).toEqual({
      items: [
        { item: { id: 1 } },
        { error: 'CRM_FIELD_ERROR_VALUE_NOT_VALID', error_description: 'Invalid value for field "Company"' },
      ],
    });
    expect(r.rq).toBe(1);
    expect(await ok(hook, 'crm.contact.get', { id: 1 })).toMatchObject({ NAME: 'Ann', COMPANY_ID: '1' });
    expect(srv.portal.counters.commandsByMethod).toMatchObject({ 'crm.item.batchimport': 2, 'crm.requisite.add': 1 });
  });
});

describe('list filters with a list of values', () => {
  it('reads an array as IN with or without @, and !@ as NOT IN, for any field and inside batch', async () => {
    const ids: number[] = [];
    for (let i = 1; i <= 5; i++)
      ids.push(await ok<number>(hook, 'crm.company.add', { fields: { TITLE: `C${i}`, ORIGIN_ID: `o${i}` } }));
    const list = async (method: string, filter: unknown) =>
      (await ok<Array<{ ID: string }>>(hook, method, { filter, select: ['ID'] })).map((x) => x.ID);
    expect(await list('crm.company.list', { '@ID': [1, 3, 5] })).toEqual(['1', '3', '5']);
    expect(await list('crm.company.list', { ID: ['2', '4'] })).toEqual(['2', '4']);
    expect(await list('crm.company.list', { '!@ID': [1, 2] })).toEqual(['3', '4', '5']);
    expect(await list('crm.company.list', { '@ORIGIN_ID': ['o2', 'o5', 'nope'] })).toEqual(['2', '5']);
    await ok(hook, 'crm.contact.add', { fields: { NAME: 'A', COMPANY_ID: 2 } });
    await ok(hook, 'crm.contact.add', { fields: { NAME: 'B', COMPANY_ID: 4 } });
    expect(await list('crm.contact.list', { '@COMPANY_ID': [4, 5] })).toEqual(['2']);
    for (const [i, inn] of ['7707083893', '7736207543', '500100732259'].entries()) {
      await ok(hook, 'crm.requisite.add', {
        fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: ids[i], PRESET_ID: 1, NAME: 'r', RQ_INN: inn },
      });
    }
    expect(await list('crm.requisite.list', { '@RQ_INN': ['7736207543', '500100732259'] })).toEqual(['2', '3']);
    expect(await list('crm.requisite.list', { RQ_INN: ['7707083893'] })).toEqual(['1']);
    await ok(hook, 'crm.requisite.bankdetail.add', { fields: { ENTITY_ID: 3, NAME: 'b', RQ_BIK: '044525225' } });
    expect(await list('crm.requisite.bankdetail.list', { '@ENTITY_ID': [1, 3] })).toEqual(['1']);
    expect(await list('crm.requisite.list', { '!%RQ_INN': '7707' })).toEqual(['2', '3']);
    const b = await ok<{ result: Record<string, Array<{ ID: string }>> }>(hook, 'batch', {
      cmd: {
        a: 'crm.company.list?filter[@ID][]=2&filter[@ID][]=3&select[]=ID',
        r: 'crm.requisite.list?filter[@RQ_INN][0]=7707083893&filter[@RQ_INN][1]=500100732259&select[]=ID',
      },
    });
    expect(b.result.a?.map((x) => x.ID)).toEqual(['2', '3']);
    expect(b.result.r?.map((x) => x.ID)).toEqual(['1', '3']);
  });
});
