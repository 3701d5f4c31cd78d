/**
 * The shared stages over the memory source, one at a time and chained: what each passes on,
 * rejects (with its reason) and acks, against the in-process sandbox (register and portal).
 */
import { lastValueFrom, tap, toArray, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../connectors/egrul/config.js';
import { MemorySource } from '../connectors/memory/memory.source.js';
import type { MysqlRow } from '../connectors/mysql/rows.js';
import { parseConfig } from '../core/config.js';
import type { Envelope } from '../core/envelope.js';
import { silentLogger } from '../core/logger.js';
import { fromPullSource } from '../core/pull-source.js';
import type { StageHooks } from '../core/stage.js';
import { generate, scales } from '../gen/dataset.js';
import { mapShopAContact, mapShopACompany, type ShopAContactRow, type ShopACompanyRow } from '../mappers/index.js';
import { createMetrics } from '../metrics/metrics.js';
import { reject, type CanonicalChange, type Outcome, type RejectReason } from '../model/index.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { buildPipelineDeps } from './build-deps.js';
import { phaseStages, type Chain } from './stage-kit.js';

const ds = generate(scales.small, 4);
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ registry: ds.registry, rate: 1000, burst: 1000, egrulLatencyMs: 1, egrulRateLimit: 1000 });
});
afterAll(() => sb.stop());

// Shop A's mapper as its topology has it (topologies/ is outside src/: the same three lines).
const mapRow = (raw: MysqlRow): Outcome<CanonicalChange> => {
  if (raw.table === 'companies') return mapShopACompany(raw.row as unknown as ShopACompanyRow);
  if (raw.table === 'contacts') return mapShopAContact(raw.row as unknown as ShopAContactRow);
  return reject('MALFORMED_RECORD', `unexpected table ${raw.table}`);
};

const companies: MysqlRow[] = ds.shopA.companies.map((row) => ({
  table: 'companies',
  row: row as unknown as Record<string, unknown>,
}));
const contacts: MysqlRow[] = ds.shopA.contacts.map((row) => ({
  table: 'contacts',
  row: row as unknown as Record<string, unknown>,
}));

/** Runs `chain` over `items` from a memory source; every record that comes out is acked, as the load stage would. */
async function run(items: MysqlRow[], chain: Chain<MysqlRow>) {
  const deps = buildPipelineDeps({
    store: new MemoryStateStore(),
    crm: parseConfig(Bitrix24ConfigSchema, { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000, settleMs: 0 }),
    registry: parseConfig(EgrulConfigSchema, { url: sb.egrulUrl, token: sb.egrulToken, rate: 1000, concurrency: 8 }),
    metrics: createMetrics(undefined, { defaultMetrics: false }),
    logger: silentLogger,
    load: { windowMs: 10, maxRecords: 200 },
  });
  const rejected = new Map<number, RejectReason>();
  const hooks: StageHooks = {
    rejects: {
      reject: async (env, reason) => {
        rejected.set(Number(env.position.offset), reason);
      },
    },
  };
  const source = new MemorySource(items, { name: 'mem' });
  const stages = phaseStages({ topology: 't', source: 'mem', deps, hooks, rejects: hooks.rejects });
  const out = await lastValueFrom(
    (chain(fromPullSource(source, { maxInFlight: 100 }), stages) as Observable<Envelope<unknown>>).pipe(
      tap((env) => env.ack()),
      toArray(),
    ),
  ).finally(() => deps.verifier.close());
  return { out, rejected, source, deps };
}

const offsets = (envs: Envelope<unknown>[]) => envs.map((e) => Number(e.position.offset)).sort((a, b) => a - b);
const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the shared stages over the memory source', () => {
  it('map: clean records go on, bad ones are rejected with their reason and acked where they happen', async () => {
    const bad: MysqlRow[] = [
      { table: 'orders', row: {} },
      { table: 'companies', row: { ...companies[0]!.row, id: 999_001, inn: '7707083894' } },
    ];
    const items = [...companies.slice(0, 20), ...bad];
    const { out, rejected, source } = await run(items, (records, s) => records.pipe(s.map(mapRow)));
    expect(rejected.get(20)).toBe('MALFORMED_RECORD');
    expect(rejected.get(21)).toBe('INVALID_INN');
    // Every record either came out or was rejected, never both; all are acked, so the source committed its end.
    expect([...offsets(out), ...rejected.keys()].sort((a, b) => a - b)).toEqual(all(items.length));
    expect(
      (out as Envelope<CanonicalChange>[]).every((e) => e.value.kind === 'company' || e.value.kind === 'delete'),
    ).toBe(true);
    expect(source.committed).toBe(items.length - 1);
  });

  it('verify: only companies the register lists as active (or reorganizing) go on', async () => {
    const { out, rejected, source } = await run(companies, (records, s) => records.pipe(s.map(mapRow), s.verify()));
    const passed = (out as Envelope<CanonicalChange>[]).flatMap((e) =>
      e.value.kind === 'company' ? [e.value.company.requisite.inn] : [],
    );
    expect(passed.length).toBeGreaterThan(0);
    for (const inn of passed) expect(['ACTIVE', 'REORGANIZING']).toContain(ds.registry[inn]?.status);
    const byRegister = [...rejected.values()].filter((r) => r.startsWith('EGRUL_'));
    expect(byRegister.length).toBeGreaterThan(0);
    expect(source.committed).toBe(companies.length - 1);
  });

  it('map → verify → resolve → load: the CRM holds each golden company the records made, and the source commits only after it', async () => {
    const items = [...companies, ...contacts];
    const { out, rejected, source, deps } = await run(items, (records, s) =>
      records.pipe(s.map(mapRow), s.verify(), s.resolve(), s.load()),
    );
    expect(out.length + rejected.size).toBe(items.length);
    const golden = new Set(
      (out as Envelope<{ result: { companies: string[] } }>[]).flatMap((e) => e.value.result.companies),
    );
    const inCrm = new Set(sb.portal.store.all('requisite').map((r) => String(r.fields.RQ_INN)));
    for (const inn of golden) expect(inCrm.has(inn), inn).toBe(true);
    expect(deps.summary.delivered.synced).toBeGreaterThan(0);
    expect((await deps.store.stats()).pending).toBe(0);
    expect(source.committed).toBe(items.length - 1);
  });
});
