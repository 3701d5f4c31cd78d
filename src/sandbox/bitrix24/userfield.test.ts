import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PortalServer } from './index.js';
import { call, ok, testPortal } from './test-helpers.js';

let srv: PortalServer;
let hook: string;
beforeAll(async () => {
  srv = await testPortal();
  hook = srv.webhookUrl;
});
afterAll(() => srv.stop());
beforeEach(() => srv.portal.store.clear());

describe('crm.company.userfield.*', () => {
  it('adds a field under its UF_CRM_ name and lists and gets it in the documented shape', async () => {
    const id = await ok<number>(hook, 'crm.company.userfield.add', {
      fields: { FIELD_NAME: 'register_status', USER_TYPE_ID: 'string', LABEL: 'Register' },
    });
    expect(id).toBe(1);
    const uf2 = await ok<number>(hook, 'crm.company.userfield.add', {
      fields: { FIELD_NAME: 'UF_NOTE', USER_TYPE_ID: 'string' },
    });
    await ok(hook, 'crm.company.userfield.add', { fields: { FIELD_NAME: 'UF_CRM_KEEP', USER_TYPE_ID: 'integer' } });
    const list = await call(hook, 'crm.company.userfield.list', { filter: { FIELD_NAME: 'UF_CRM_REGISTER_STATUS' } });
    expect(list.body.total).toBe(1);
    expect((list.body.result as unknown[])[0]).toMatchObject({
      ID: '1',
      ENTITY_ID: 'CRM_COMPANY',
      FIELD_NAME: 'UF_CRM_REGISTER_STATUS',
      USER_TYPE_ID: 'string',
      XML_ID: null,
      SORT: '100',
      MULTIPLE: 'N',
      MANDATORY: 'N',
      EDIT_IN_LIST: 'Y',
      EDIT_FORM_LABEL: { en: 'Register' },
    });
    const names = (
      await ok<Array<{ FIELD_NAME: string }>>(hook, 'crm.company.userfield.list', { order: { ID: 'DESC' } })
    ).map((d) => d.FIELD_NAME);
    expect(names).toEqual(['UF_CRM_KEEP', 'UF_CRM_NOTE', 'UF_CRM_REGISTER_STATUS']);
    expect(await ok(hook, 'crm.company.userfield.get', { id: uf2 })).toMatchObject({ FIELD_NAME: 'UF_CRM_NOTE' });
  });

  it('refuses what the docs refuse: no name or type, bad characters, too long, unknown type, a repeat, a missing id', async () => {
    const add = (fields: Record<string, unknown>) => call(hook, 'crm.company.userfield.add', { fields });
    expect(await add({ USER_TYPE_ID: 'string' })).toEqual({
      status: 400,
      body: { error: '', error_description: "The 'FIELD_NAME' field is not found." },
    });
    expect(await add({ FIELD_NAME: 'X' })).toEqual({
      status: 400,
      body: { error: '', error_description: "The 'USER_TYPE_ID' field is not found." },
    });
    expect((await add({ FIELD_NAME: 'BAD-NAME', USER_TYPE_ID: 'string' })).body.error).toBe('ERROR_CORE');
    expect((await add({ FIELD_NAME: 'A'.repeat(44), USER_TYPE_ID: 'string' })).body.error_description).toMatch(
      /too long/,
    );
    expect((await add({ FIELD_NAME: 'A'.repeat(43), USER_TYPE_ID: 'string' })).status).toBe(200);
    expect((await add({ FIELD_NAME: 'Y', USER_TYPE_ID: 'nope' })).body.error_description).toBe(
      'Invalid custom type specified.',
    );
    expect((await add({ FIELD_NAME: 'UF_CRM_' + 'A'.repeat(43), USER_TYPE_ID: 'string' })).body.error).toBe(
      'ERROR_CORE',
    );
    expect((await call(hook, 'crm.company.userfield.get', { id: 99 })).body.error).toBe('ERROR_NOT_FOUND');
    expect(srv.portal.store.userFieldNames('CRM_COMPANY')).toHaveLength(1);
  });

  it('keeps values of defined fields on company add/update/get/list, drops undefined UF_ fields, clears with an empty value', async () => {
    const early = await ok<number>(hook, 'crm.company.add', { fields: { TITLE: 'Before', UF_CRM_STATUS: 'x' } });
    await ok(hook, 'crm.company.userfield.add', { fields: { FIELD_NAME: 'STATUS', USER_TYPE_ID: 'string' } });
    const id = await ok<number>(hook, 'crm.company.add', {
      fields: { TITLE: 'Acme', UF_CRM_STATUS: 'LIQUIDATED 2026-12-01', UF_CRM_OTHER: 'dropped' },
    });
    expect(await ok(hook, 'crm.company.get', { id })).toMatchObject({
      TITLE: 'Acme',
      UF_CRM_STATUS: 'LIQUIDATED 2026-12-01',
    });
    expect(await ok<Record<string, unknown>>(hook, 'crm.company.get', { id })).not.toHaveProperty('UF_CRM_OTHER');
    expect(await ok(hook, 'crm.company.get', { id: early })).toMatchObject({ UF_CRM_STATUS: null }); // written before the field existed
    // `*` leaves custom fields out; `UF_*` brings every defined one; a filter on one works
    const star = await ok<Array<Record<string, unknown>>>(hook, 'crm.company.list', { select: ['*'] });
    expect(star[0]).not.toHaveProperty('UF_CRM_STATUS');
    const uf = await ok<Array<Record<string, unknown>>>(hook, 'crm.company.list', {
      select: ['ID', 'UF_*'],
      filter: { '!UF_CRM_STATUS': '' },
    });
    expect(uf).toEqual([{ ID: String(id), UF_CRM_STATUS: 'LIQUIDATED 2026-12-01' }]);
    await ok(hook, 'crm.company.update', { id, fields: { UF_CRM_STATUS: '' } });
    expect(await ok(hook, 'crm.company.get', { id })).toMatchObject({ UF_CRM_STATUS: '' });
    await ok(hook, 'crm.company.update', { id: early, fields: { uf_crm_status: 'BANKRUPT 2026-12-02' } });
    expect(await ok(hook, 'crm.company.get', { id: early })).toMatchObject({ UF_CRM_STATUS: 'BANKRUPT 2026-12-02' });
  });

  it('keeps field definitions in a data file across a restart', async () => {
    const snap = srv.portal.store.snapshot();
    expect(snap.userFields).toEqual([]);
    await ok(hook, 'crm.company.userfield.add', { fields: { FIELD_NAME: 'P', USER_TYPE_ID: 'string' } });
    const copy = srv.portal.store.snapshot();
    srv.portal.store.clear();
    srv.portal.store.load(JSON.parse(JSON.stringify(copy)));
    expect(srv.portal.store.userFieldNames('CRM_COMPANY')).toEqual(['UF_CRM_P']);
    expect(
      await ok<number>(hook, 'crm.company.userfield.add', { fields: { FIELD_NAME: 'Q', USER_TYPE_ID: 'string' } }),
    ).toBe(2);
  });
});
