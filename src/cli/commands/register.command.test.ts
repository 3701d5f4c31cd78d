import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/support/cli.js';
import { startSandbox, type Registry, type Sandbox } from '../../sandbox/sandbox.js';
import { openLevelStore } from '../../state/level-store.js';
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
  writeFileSync(config, `crm: { webhookUrl: "${sb.webhookUrl}", rate: 100, burst: 50 }\nregistry: { url: "${sb.egrulUrl}", token: "${sb.egrulToken}" }\nstate: { dir: "${join(dir, 'state')}" }\n`);
  // a loaded company, as the pipeline leaves it: cached ACTIVE, synced to a CRM company
  crmId = sb.portal.store.add('company', { TITLE: 'ПАО СБЕРБАНК' });
  const store = await openLevelStore(join(dir, 'state'));
  const company: GoldenCompanyState = {
    inn: INN, status: 'active', record: null, contributions: {}, provenance: [], contactIds: [], nextContactSeq: 0, hash: 'h', delivery: 'synced', synced: null,
  };
  await store.batch([
    { type: 'put', ns: 'companies', key: INN, value: company },
    { type: 'put', ns: 'crmIds', key: INN, value: { company: String(crmId) } },
    { type: 'put', ns: 'registry', key: INN, value: { status: 'ACTIVE', fetchedAt: '2026-11-01T00:00:00.000Z', answer: { inn: INN, status: 'ACTIVE' } } },
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
    expect(JSON.parse(run.out)).toEqual({ checked: 1, changed: { LIQUIDATED: 1 }, written: 1, failed: 0 });
    const today = new Date().toISOString().slice(0, 10);
    expect(sb.portal.store.get('company', crmId)?.fields.UF_CRM_REGISTER_STATUS).toBe(`LIQUIDATED ${today}`);
    const json = await cli('register', 'changes', '--format', 'json', '--config', config);
    expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ inn: INN, from: 'ACTIVE', to: 'LIQUIDATED', crmId: String(crmId), crm: 'written' })]);
    const csv = await cli('register', 'changes', '--config', config);
    expect(csv.out.split('\n')[0]).toBe('at,inn,from,to,crmId,value,crm,detail');
    expect(csv.out).toContain(`${INN},ACTIVE,LIQUIDATED,${crmId},LIQUIDATED ${today},written`);
    expect(JSON.parse((await cli('register', 'changes', '--since', '2999-01-01T00:00:00+03:00', '--format', 'json', '--config', config)).out)).toEqual([]);
    // nothing changed since: no write
    sb.portal.resetCounters();
    expect(JSON.parse((await cli('register', 'refresh', '--inn', INN, '--config', config)).out)).toMatchObject({ checked: 1, changed: {}, written: 0 });
    expect(sb.portal.counters.writes).toBe(0);
  });
});
