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
beforeEach(() => {
  srv.portal.store.clear();
  srv.portal.resetCounters();
});

interface BatchBody {
  result: Record<string, unknown> | unknown[];
  result_error: Record<string, { error: unknown; error_description: string }> | unknown[];
  result_total: Record<string, number> | unknown[];
  result_next: Record<string, number> | unknown[];
  result_time: Record<string, unknown> | unknown[];
}

describe('batch', () => {
  it('chains commands with $result references and answers in the documented shape', async () => {
    const a = await call(hook, 'batch', {
      halt: 0,
      cmd: {
        co: 'crm.company.add?fields[TITLE]=Acme&fields[ORIGIN_ID]=g1',
        rq: 'crm.requisite.add?fields[ENTITY_TYPE_ID]=4&fields[ENTITY_ID]=$result[co]&fields[PRESET_ID]=1&fields[RQ_INN]=7707083893',
        ct: 'crm.contact.add?fields[NAME]=Ivan&fields[COMPANY_ID]=$result[co]',
        get: 'crm.company.get?id=$result[co]',
        title: 'crm.contact.add?fields[NAME]=$result[get][TITLE]%20boss',
        list: 'crm.company.list?filter[ORIGIN_ID]=g1&select[]=ID',
      },
    });
    expect(a.status).toBe(200);
    const r = a.body.result as BatchBody;
    expect(r.result).toMatchObject({
      co: 1,
      rq: 1,
      ct: 1,
      title: 2,
      get: { ID: '1', TITLE: 'Acme' },
      list: [{ ID: '1' }],
    });
    expect(r.result_error).toEqual([]);
    expect(r.result_total).toEqual({ list: 1 });
    expect(r.result_next).toEqual([]);
    expect(Object.keys(r.result_time as object)).toEqual(['co', 'rq', 'ct', 'get', 'title', 'list']);
    expect(await ok(hook, 'crm.contact.get', { id: 1 })).toMatchObject({ COMPANY_ID: '1' });
    expect(await ok(hook, 'crm.contact.get', { id: 2 })).toMatchObject({ NAME: 'Acme boss' });
    expect(srv.portal.counters).toMatchObject({ requests: 3, commands: 8, writes: 4 }); // batch counts once per HTTP call
    expect(srv.portal.counters.byMethod).toEqual({ batch: 1, 'crm.contact.get': 2 });
  });

  it('collects partial failures in result_error with HTTP 200; an unresolved reference stays literal', async () => {
    const a = await call(hook, 'batch', {
      cmd: [
        'crm.company.add?fields[TITLE]=A',
        'crm.company.get?id=999',
        'crm.company.update?id=$result[1][ID]&fields[TITLE]=B',
        'crm.company.add?fields[TITLE]=C',
      ],
    });
    expect(a.status).toBe(200);
    const r = a.body.result as BatchBody;
    expect(r.result).toEqual({ 0: 1, 3: 2 });
    expect(r.result_error).toEqual({
      1: { error: '', error_description: 'Not found' },
      2: { error: '', error_description: 'ID is not defined or invalid.' }, // "$result[1][ID]" went in as text
    });
  });

  it('resolves references several levels deep into a result, and leaves a path that is not there literal', async () => {
    await ok(hook, 'crm.company.add', { fields: { TITLE: 'Acme', PHONE: [{ VALUE: '+74950000001' }] } });
    const a = await call(hook, 'batch', {
      cmd: {
        list: 'crm.company.list?select[]=ID&select[]=PHONE',
        ct: 'crm.contact.add?fields[NAME]=$result[list][0][PHONE][0][VALUE]&fields[COMPANY_ID]=$result[list][0][ID]',
        miss: 'crm.contact.add?fields[NAME]=$result[list][0][PHONE][5][VALUE]',
      },
    });
    expect((a.body.result as BatchBody).result).toMatchObject({ ct: 1, miss: 2 });
    expect(await ok(hook, 'crm.contact.get', { id: 1 })).toMatchObject({ NAME: '+74950000001', COMPANY_ID: '1' });
    expect(await ok(hook, 'crm.contact.get', { id: 2 })).toMatchObject({ NAME: '$result[list][0][PHONE][5][VALUE]' });
  });

  it('all-successful array commands come back as a JSON list', async () => {
    const r = (
      await call(hook, 'batch', { cmd: ['crm.company.add?fields[TITLE]=A', 'crm.company.add?fields[TITLE]=B'] })
    ).body.result as BatchBody;
    expect(r.result).toEqual([1, 2]);
  });

  it('halt stops at the first failure; later commands appear nowhere and do not run', async () => {
    const a = await call(hook, 'batch', {
      halt: 1,
      cmd: { a: 'crm.company.add?fields[TITLE]=A', b: 'crm.company.get?id=999', c: 'crm.company.add?fields[TITLE]=C' },
    });
    const r = a.body.result as BatchBody;
    expect(r.result).toEqual({ a: 1 });
    expect(Object.keys(r.result_error as object)).toEqual(['b']);
    expect(Object.keys(r.result_time as object)).toEqual(['a']);
    expect(srv.portal.store.counts().company).toBe(1);
  });

  it('fails commands past 50, nested batch and unknown methods per command', async () => {
    const cmd = Object.fromEntries(Array.from({ length: 52 }, (_, i) => [`k${i}`, 'crm.requisite.preset.list']));
    cmd.k0 = 'batch?cmd[x]=crm.company.list';
    cmd.k1 = 'crm.nope';
    const r = (await call(hook, 'batch', { cmd })).body.result as BatchBody;
    const errors = r.result_error as Record<string, { error: string }>;
    expect(errors.k0?.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
    expect(errors.k1?.error).toBe('ERROR_METHOD_NOT_FOUND');
    expect(errors.k50?.error).toBe('ERROR_BATCH_LENGTH_EXCEEDED');
    expect(errors.k51?.error).toBe('ERROR_BATCH_LENGTH_EXCEEDED');
    expect(Object.keys(r.result as object)).toHaveLength(48);
  });

  it('accepts a form-encoded batch whose commands are encoded twice', async () => {
    const inner = `crm.company.add?${new URLSearchParams({ 'fields[TITLE]': 'A&B' })}`;
    const body = `halt=0&cmd[one]=${encodeURIComponent(inner)}&cmd[two]=${encodeURIComponent('crm.company.get?id=$result[one]')}`;
    const r = (await call(hook, 'batch', body, true)).body.result as BatchBody;
    expect(r.result).toMatchObject({ one: 1, two: { TITLE: 'A&B' } });
  });
});
