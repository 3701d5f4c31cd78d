import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PortalServer } from './index.js';
import { call, ok, testPortal } from './test-helpers.js';

let srv: PortalServer;
let hook: string;
beforeAll(async () => {
  srv = await testPortal({ webhookUser: '7', webhookSecret: 's3cret' });
  hook = srv.webhookUrl;
});
afterAll(() => srv.stop());
beforeEach(() => srv.portal.store.clear());

describe('envelope, routing and credentials', () => {
  it('answers add with an integer id and a full time block; .json suffix works', async () => {
    const a = await call(hook, 'crm.company.add.json', { fields: { TITLE: 'Acme' } });
    expect(a.status).toBe(200);
    expect(a.body.result).toBe(1);
    expect(a.body.time).toMatchObject({
      start: expect.any(Number),
      finish: expect.any(Number),
      duration: expect.any(Number),
      processing: expect.any(Number),
      date_start: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/),
      date_finish: expect.any(String),
      operating: expect.any(Number),
      operating_reset_at: expect.any(Number),
    });
  });

  it('refuses wrong credentials, missing credentials and unknown methods with the real shapes', async () => {
    const wrong = await call(hook.replace('s3cret', 'nope'), 'crm.company.list');
    expect(wrong).toEqual({
      status: 401,
      body: { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' },
    });
    const none = await call(`${srv.origin}/rest/`, 'crm.company.list');
    expect(none).toEqual({
      status: 401,
      body: { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' },
    });
    const unknown = await call(hook, 'crm.company.frobnicate');
    expect(unknown).toEqual({
      status: 404,
      body: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    });
    expect(srv.portal.counters.unauthorized).toBe(2);
  });

  it('takes parameters from a GET query string too', async () => {
    const id = await ok<number>(hook, 'crm.company.add', { fields: { TITLE: 'Q' } });
    const res = await fetch(`${hook}crm.company.get?id=${id}`);
    expect(((await res.json()) as { result: { TITLE: string } }).result.TITLE).toBe('Q');
  });
});

describe('crm.company / crm.contact', () => {
  it('reads back strings, nulls, defaults and the webhook user as owner', async () => {
    const id = await ok<number>(hook, 'crm.company.add', {
      fields: { TITLE: 'Acme', ORIGINATOR_ID: 'crm-unify', ORIGIN_ID: 'g-1', NOPE: 'x' },
    });
    const c = await ok<Record<string, unknown>>(hook, 'crm.company.get', { id });
    expect(c).toMatchObject({
      ID: String(id),
      TITLE: 'Acme',
      ORIGINATOR_ID: 'crm-unify',
      ORIGIN_ID: 'g-1',
      ORIGIN_VERSION: null,
      ASSIGNED_BY_ID: '7',
      CREATED_BY_ID: '7',
      COMPANY_TYPE: 'CUSTOMER',
      HAS_PHONE: 'N',
    });
    expect(c).not.toHaveProperty('NOPE');
  });

  it('uses the documented not-found and bad-parameter answers', async () => {
    expect(await call(hook, 'crm.company.get', { id: 999 })).toEqual({
      status: 400,
      body: { error: '', error_description: 'Not found' },
    });
    expect(await call(hook, 'crm.company.update', { id: 999, fields: { TITLE: 'x' } })).toEqual({
      status: 400,
      body: { error: '', error_description: 'Company is not found' },
    });
    expect(await call(hook, 'crm.contact.update', { id: 999, fields: {} })).toEqual({
      status: 400,
      body: { error: '', error_description: 'Contact is not found' },
    });
    expect(await call(hook, 'crm.contact.delete', { id: 999 })).toEqual({
      status: 400,
      body: { error: 'ERROR_CORE', error_description: 'Element not found' },
    });
    expect(await call(hook, 'crm.contact.get', { id: 'abc' })).toEqual({
      status: 400,
      body: { error: '', error_description: 'ID is not defined or invalid.' },
    });
    expect(await call(hook, 'crm.company.add', { fields: 'x' })).toEqual({
      status: 400,
      body: { error: '', error_description: "Parameter 'fields' must be array." },
    });
    expect(
      (await call(hook, 'crm.company.add', { fields: { TITLE: 'x', EMAIL: [{ VALUE: 'not-an-email' }] } })).body.error,
    ).toBe('ERROR_CORE');
  });

  it('updates multifields by row ID, adds rows without ID, deletes with DELETE:Y', async () => {
    const id = await ok<number>(hook, 'crm.contact.add', {
      fields: {
        NAME: 'Ivan',
        PHONE: [
          { VALUE: '+74955005550', VALUE_TYPE: 'WORK' },
          { VALUE: '+79161234567', VALUE_TYPE: 'MOBILE' },
        ],
        EMAIL: [{ VALUE: 'a@b.ru' }],
      },
    });
    const before = await ok<{ PHONE: Array<{ ID: string; VALUE: string; VALUE_TYPE: string; TYPE_ID: string }> }>(
      hook,
      'crm.contact.get',
      { id },
    );
    expect(before.PHONE).toHaveLength(2);
    expect(before.PHONE[0]).toEqual({
      ID: expect.stringMatching(/^\d+$/),
      VALUE: '+74955005550',
      VALUE_TYPE: 'WORK',
      TYPE_ID: 'PHONE',
    });
    const [work, mobile] = before.PHONE;
    await ok(hook, 'crm.contact.update', {
      id,
      fields: {
        PHONE: [
          { ID: work?.ID, VALUE: '+74955005551' },
          { ID: mobile?.ID, DELETE: 'Y' },
          { VALUE: '+74955005551', VALUE_TYPE: 'WORK' }, // no ID: a second, duplicate row, as on a real portal
        ],
      },
    });
    const after = await ok<{ PHONE: Array<{ ID: string; VALUE: string }>; EMAIL: unknown[] }>(hook, 'crm.contact.get', {
      id,
    });
    expect(after.PHONE.map((p) => p.VALUE)).toEqual(['+74955005551', '+74955005551']);
    expect(after.PHONE[0]?.ID).toBe(work?.ID);
    expect(after.EMAIL).toHaveLength(1); // untouched
  });

  it('pages lists by 50 with total/next, honours start=-1, filter, select and order', async () => {
    const adds = Array.from({ length: 120 }, (_, i) => ({
      TITLE: `C${i + 1}`,
      ORIGINATOR_ID: 'crm-unify',
      ORIGIN_ID: `g-${i + 1}`,
    }));
    for (const fields of adds) await ok(hook, 'crm.company.add', { fields });
    const p1 = await call(hook, 'crm.company.list', { select: ['ID', 'TITLE'] });
    expect(p1.body).toMatchObject({ total: 120, next: 50 });
    expect((p1.body.result as unknown[]).length).toBe(50);
    const p3 = await call(hook, 'crm.company.list', { start: 100 });
    expect(p3.body.total).toBe(120);
    expect(p3.body).not.toHaveProperty('next');
    expect((p3.body.result as unknown[]).length).toBe(20);
    const fast = await call(hook, 'crm.company.list', { start: -1, order: { ID: 'ASC' }, filter: { '>ID': 100 } });
    expect(fast.body.total).toBe(0);
    expect((fast.body.result as Array<{ ID: string }>).map((r) => r.ID)).toEqual(
      Array.from({ length: 20 }, (_, i) => String(101 + i)),
    );
    const byOrigin = await ok<Array<Record<string, unknown>>>(hook, 'crm.company.list', {
      filter: { ORIGINATOR_ID: 'crm-unify', ORIGIN_ID: 'g-42' },
      select: ['ID', 'ORIGIN_ID'],
    });
    expect(byOrigin).toEqual([{ ID: '42', ORIGIN_ID: 'g-42' }]);
    const desc = await ok<Array<{ ID: string }>>(hook, 'crm.company.list', {
      order: { ID: 'DESC' },
      filter: { '@ID': [3, 5, 7], '!ID': 5 },
    });
    expect(desc.map((r) => r.ID)).toEqual(['7', '3']);
    const like = await ok<unknown[]>(hook, 'crm.company.list', { filter: { '%TITLE': 'c11' } });
    expect(like).toHaveLength(11); // C11, C110..C119
  });

  it('filters contacts by COMPANY_ID and by PHONE exactly; COMPANY_IDS sets the primary company', async () => {
    const co = await ok<number>(hook, 'crm.company.add', { fields: { TITLE: 'Acme' } });
    await ok(hook, 'crm.contact.add', { fields: { NAME: 'A', COMPANY_ID: co, PHONE: [{ VALUE: '+79161234567' }] } });
    await ok(hook, 'crm.contact.add', { fields: { NAME: 'B', COMPANY_IDS: [co] } });
    await ok(hook, 'crm.contact.add', { fields: { NAME: 'C' } });
    expect(await ok<unknown[]>(hook, 'crm.contact.list', { filter: { COMPANY_ID: co } })).toHaveLength(2);
    expect(
      await ok<unknown[]>(hook, 'crm.contact.list', { filter: { PHONE: '+79161234567' }, select: ['ID', 'PHONE'] }),
    ).toHaveLength(1);
  });

  it('crm.duplicate.findbycomm finds ids by phone or e-mail, [] when nothing matches', async () => {
    const co = await ok<number>(hook, 'crm.company.add', {
      fields: { TITLE: 'A', PHONE: [{ VALUE: '+7 (495) 500-55-50' }] },
    });
    const ct = await ok<number>(hook, 'crm.contact.add', {
      fields: { NAME: 'B', PHONE: [{ VALUE: '+74955005550' }], EMAIL: [{ VALUE: 'X@y.ru' }] },
    });
    expect(await ok(hook, 'crm.duplicate.findbycomm', { type: 'PHONE', values: ['+74955005550'] })).toEqual({
      CONTACT: [ct],
      COMPANY: [co],
    });
    expect(
      await ok(hook, 'crm.duplicate.findbycomm', { type: 'EMAIL', values: ['x@y.ru'], entity_type: 'COMPANY' }),
    ).toEqual([]);
    expect(
      await ok(hook, 'crm.duplicate.findbycomm', { type: 'EMAIL', values: ['x@y.ru'], entity_type: 'CONTACT' }),
    ).toEqual({ CONTACT: [ct] });
    expect((await call(hook, 'crm.duplicate.findbycomm', { values: ['1'] })).body.error_description).toBe(
      'Communication type is not defined',
    );
  });
});

describe('requisites, presets, bank details', () => {
  it('lists the standard RU presets', async () => {
    const a = await call(hook, 'crm.requisite.preset.list', {
      filter: { COUNTRY_ID: 1 },
      select: ['ID', 'NAME', 'XML_ID'],
    });
    expect(a.body.total).toBe(3);
    expect(a.body.result).toEqual([
      { ID: '1', NAME: 'Organization', XML_ID: '#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#' },
      { ID: '2', NAME: 'Sole Proprietorship', XML_ID: '#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#' },
      { ID: '3', NAME: 'Individual', XML_ID: '#CRM_REQUISITE_PRESET_DEF_RU_PERSON#' },
    ]);
  });

  it('validates the owner and preset, filters by RQ_INN, keeps owner fields immutable, cascades deletes', async () => {
    const co = await ok<number>(hook, 'crm.company.add', { fields: { TITLE: 'Sber' } });
    const bad = (fields: object) => call(hook, 'crm.requisite.add', { fields });
    expect((await bad({ ENTITY_TYPE_ID: 2, ENTITY_ID: co, PRESET_ID: 1 })).body.error_description).toBe(
      'ENTITY_TYPE_ID is not defined or invalid.',
    );
    expect((await bad({ ENTITY_TYPE_ID: 4, PRESET_ID: 1 })).body.error_description).toBe(
      'ENTITY_ID is not defined or invalid.',
    );
    expect((await bad({ ENTITY_TYPE_ID: 4, ENTITY_ID: co, PRESET_ID: 99 })).body.error_description).toBe(
      'PRESET_ID is not defined or invalid.',
    );
    expect((await bad({ ENTITY_TYPE_ID: 4, ENTITY_ID: 999, PRESET_ID: 1 })).body.error_description).toBe(
      'Entity not found.',
    );
    const rq = await ok<number>(hook, 'crm.requisite.add', {
      fields: {
        ENTITY_TYPE_ID: 4,
        ENTITY_ID: co,
        PRESET_ID: 1,
        NAME: 'Org',
        RQ_INN: '7707083893',
        RQ_KPP: '773601001',
        RQ_OGRN: '1027700132195',
      },
    });
    await ok(hook, 'crm.requisite.update', { id: rq, fields: { ENTITY_ID: 555, RQ_KPP: '773601002' } });
    const got = await ok<Record<string, unknown>>(hook, 'crm.requisite.get', { id: rq });
    expect(got).toMatchObject({
      ID: String(rq),
      ENTITY_TYPE_ID: '4',
      ENTITY_ID: String(co),
      PRESET_ID: '1',
      RQ_KPP: '773601002',
      RQ_OGRNIP: null,
    });
    expect(
      await ok<unknown[]>(hook, 'crm.requisite.list', { filter: { RQ_INN: '7707083893', ENTITY_ID: co } }),
    ).toHaveLength(1);
    expect(await ok<unknown[]>(hook, 'crm.requisite.list', { filter: { RQ_INN: '0000000000' } })).toHaveLength(0);

    const bd = await ok<number>(hook, 'crm.requisite.bankdetail.add', {
      fields: {
        ENTITY_ID: rq,
        NAME: 'Main',
        RQ_BIK: '044525225',
        RQ_ACC_NUM: '40702810938000000001',
        RQ_COR_ACC_NUM: '30101810400000000225',
        RQ_BANK_NAME: 'ПАО СБЕРБАНК',
      },
    });
    expect(await ok(hook, 'crm.requisite.bankdetail.get', { id: bd })).toMatchObject({
      ENTITY_ID: String(rq),
      RQ_BIK: '044525225',
      COUNTRY_ID: '1',
    });
    expect(
      await ok(hook, 'crm.requisite.bankdetail.update', { id: bd, fields: { RQ_ACC_NUM: '40702810938000000002' } }),
    ).toBe(true);
    expect(await ok<unknown[]>(hook, 'crm.requisite.bankdetail.list', { filter: { ENTITY_ID: rq } })).toHaveLength(1);
    expect(
      (await call(hook, 'crm.requisite.bankdetail.add', { fields: { ENTITY_ID: 999, NAME: 'x' } })).body
        .error_description,
    ).toBe('ENTITY_ID is not defined or invalid.');
    expect(await call(hook, 'crm.requisite.bankdetail.get', { id: 999 })).toEqual({
      status: 400,
      body: { error: '', error_description: "The RequisiteBankDetail with ID '999' is not found" },
    });

    await ok(hook, 'crm.company.delete', { id: co });
    expect(await call(hook, 'crm.requisite.get', { id: rq })).toEqual({
      status: 400,
      body: { error: '', error_description: `The Requisite with ID '${rq}' is not found` },
    });
    expect(srv.portal.store.counts()).toMatchObject({ company: 0, requisite: 0, bankdetail: 0 });
  });
});

describe('form-encoded bodies', () => {
  it('reads PHP bracket notation, including multifields', async () => {
    const body =
      'fields[TITLE]=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0&fields[PHONE][0][VALUE]=%2B74955005550&fields[PHONE][0][VALUE_TYPE]=WORK';
    const a = await call(hook, 'crm.company.add', body, true);
    expect(a.status).toBe(200);
    const c = await ok<{ TITLE: string; PHONE: Array<{ VALUE: string }> }>(hook, 'crm.company.get', {
      id: a.body.result,
    });
    expect(c.TITLE).toBe('Ромашка');
    expect(c.PHONE[0]?.VALUE).toBe('+74955005550');
  });

  it('reads multipart/form-data', async () => {
    const form = new FormData();
    form.append('fields[TITLE]', 'Multi');
    form.append('fields[EMAIL][0][VALUE]', 'a@b.ru');
    const res = await fetch(`${hook}crm.company.add`, { method: 'POST', body: form });
    const id = ((await res.json()) as { result: number }).result;
    expect(await ok(hook, 'crm.company.get', { id })).toMatchObject({ TITLE: 'Multi', HAS_EMAIL: 'Y' });
  });
});
