import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/support/cli.js';
import { startSandbox, type Registry, type Sandbox } from '../../sandbox/sandbox.js';
import { openLevelStore } from '../../state/level-store.js';
import { rejectOps } from '../../state/helpers.js';
import type { GoldenCompanyState } from '../../state/records.js';

const INN = '7707083893';
const entry: Registry[string] = { status: 'ACTIVE', name: 'ПАО СБЕРБАНК', ogrn: '1027700132195', kpp: '773601001' };
let sb: Sandbox;
let dir: string;
let config: string;
let crmId: number;

beforeAll(async () => {
  sb = await startSandbox({ registry: { [INN]: entry }, rate: Number.POSITIVE_INFINITY, egrulLatencyMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'register-cli-'));
  config = join(dir, 'crm-unify.yaml');
  writeFileSync(
    config,
    `crm: { webhookUrl: "${sb.webhookUrl}", rate: 100, burst: 50 }\nregistry: { url: "${sb.egrulUrl}", token: "${sb.egrulToken}" }\nstate: { dir: "${join(dir, 'state')}" }\n`,
  );
  // a loaded company, as the pipeline leaves it: cached ACTIVE, synced to a CRM company
  crmId = sb.portal.store.add('company', { TITLE: 'ПАО СБЕРБАНК' });
  const store = await openLevelStore(join(dir, 'state'));
  const company: GoldenCompanyState = {
    inn: INN,
    status: 'active',
    record: null,
    contributions: {},
    contactIds: [],
    nextContactSeq: 0,
    hash: 'h',
    delivery: 'synced',
    synced: null,
  };
  await store.batch([
    { type: 'put', ns: 'companies', key: INN, value: company },
    { type: 'put', ns: 'crmIds', key: INN, value: { company: String(crmId) } },
    {
      type: 'put',
      ns: 'registry',
      key: INN,
      value: { status: 'ACTIVE', fetchedAt: '2026-11-01T00:00:00.000Z', answer: { inn: INN, status: 'ACTIVE' } },
    },
  ]);
  await store.close();
});
afterAll(() => sb.stop());

describe('crm-unify register', () => {
  it('refresh needs --inn or --status, and valid INNs (exit 2)', async () => {
    expect((await cli('register', 'refresh', '--config', config)).code).toBe(2);
    const bad = await cli('register', 'refresh', '--inn', '7707083894', '--config', config);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('7707083894');
    expect((await cli('register', 'refresh', '--status', 'GONE', '--config', config)).code).toBe(2);
    expect((await cli('register', 'changes', '--since', 'yesterday', '--config', config)).code).toBe(2);
  });

  it('refresh marks the CRM company the register liquidated; changes lists it as csv or json since a time', async () => {
    sb.egrul.upsertRegistry({ [INN]: { ...entry, status: 'LIQUIDATED' } });
    const run = await cli('register', 'refresh', '--status', 'ACTIVE', '--config', config);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      checked: 1,
      changed: { LIQUIDATED: 1 },
      written: 1,
      corrected: 0,
      failed: 0,
    });
    const today = new Date().toISOString().slice(0, 10);
    expect(sb.portal.store.get('company', crmId)?.fields.UF_CRM_REGISTER_STATUS).toBe(`LIQUIDATED ${today}`);
    const json = await cli('register', 'changes', '--format', 'json', '--config', config);
    expect(JSON.parse(json.out)).toEqual([
      expect.objectContaining({ inn: INN, from: 'ACTIVE', to: 'LIQUIDATED', crmId: String(crmId), crm: 'written' }),
    ]);
    const csv = await cli('register', 'changes', '--config', config);
    expect(csv.out.split('\n')[0]).toBe('at,inn,from,to,crmId,value,crm,detail');
    expect(csv.out).toContain(`${INN},ACTIVE,LIQUIDATED,${crmId},LIQUIDATED ${today},written`);
    expect(
      JSON.parse(
        (
          await cli(
            'register',
            'changes',
            '--since',
            '2999-01-01T00:00:00+03:00',
            '--format',
            'json',
            '--config',
            config,
          )
        ).out,
      ),
    ).toEqual([]);
    // nothing changed since: no write
    sb.portal.resetCounters();
    expect(JSON.parse((await cli('register', 'refresh', '--inn', INN, '--config', config)).out)).toMatchObject({
      checked: 1,
      changed: {},
      written: 0,
    });
    expect(sb.portal.counters.writes).toBe(0);
  });

  it('sweep re-checks a not-found reject on its back-off and closes it when the register lists the company; found and rejects list show it', async () => {
    const NEW = '500100732259';
    const store = await openLevelStore(join(dir, 'state'));
    await store.batch(
      rejectOps({
        reason: 'EGRUL_NOT_FOUND',
        detail: `INN ${NEW} is not in the register (with its 1 contact(s))`,
        source: 'shop-b.partners',
        sourceId: 'P7',
        position: '0@7',
        at: '2026-01-01T00:00:00.000Z',
      }),
    );
    await store.close();
    sb.egrul.upsertRegistry({ [NEW]: { status: 'ACTIVE', name: 'ИП Новый', ogrn: '304500116000061' } });
    const run = await cli('register', 'sweep', '--config', config);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      expired: 0,
      notFound: 1,
      found: 1,
      changed: { ACTIVE: 1 },
      written: 0,
    });
    const found = JSON.parse((await cli('register', 'found', '--format', 'json', '--config', config)).out) as Array<
      Record<string, unknown>
    >;
    expect(found).toEqual([
      expect.objectContaining({
        inn: NEW,
        source: 'shop-b.partners',
        sourceId: 'P7',
        position: '0@7',
        rejectedAt: '2026-01-01T00:00:00.000Z',
        loaded: false,
      }),
    ]);
    expect((await cli('register', 'found', '--config', config)).out.split('\n')[0]).toBe(
      'inn,source,sourceId,position,rejectedAt,foundAt,loaded',
    );
    const rejects = JSON.parse((await cli('rejects', 'list', '--format', 'json', '--config', config)).out) as Array<
      Record<string, unknown>
    >;
    expect(rejects).toEqual([
      expect.objectContaining({
        sourceId: 'P7',
        reason: 'EGRUL_NOT_FOUND',
        resolved: expect.stringMatching(/lists INN 500100732259 as ACTIVE/),
      }),
    ]);
    expect((await cli('rejects', 'list', '--config', config)).out).toMatch(
      /P7 @0@7 .*\[resolved .*crm-unify replay\)\]/,
    );
    // nothing more is due: a second sweep asks nothing
    sb.egrul.resetCounters();
    expect(JSON.parse((await cli('register', 'sweep', '--config', config)).out)).toMatchObject({
      expired: 0,
      notFound: 0,
      checked: 0,
    });
    expect(sb.egrul.counters.requests).toBe(0);
  });
});
