import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/logger.js';
import { MemoryPositionStore, type PositionStore } from '../src/core/positions.js';
import { defaultConnectPolicy } from '../src/core/reachability.js';
import { generate, scales } from '../src/gen/dataset.js';
import { writeDataset } from '../src/gen/write.js';
import { describeTopology, formatDescription } from '../src/pipeline/topology.js';
import { runOverSandbox } from '../test/support/topology-run.js';
import { shopBTopology } from './shop-b.js';

const dump = (path: string) => ({ path, encoding: 'windows-1251', readChunkBytes: 256 * 1024 });
const kafka = { brokers: ['127.0.0.1:9'], topic: 'shop-b.crm.partners', groupId: 'crm-unify', clientId: 'crm-unify' };
const topology = (
  cfg: { dump?: ReturnType<typeof dump>; kafka?: typeof kafka },
  positions: PositionStore = new MemoryPositionStore(),
) =>
  shopBTopology(cfg as never, positions, {
    once: true,
    logger: silentLogger,
    connect: defaultConnectPolicy(silentLogger),
  });
const steps = (d: ReturnType<typeof describeTopology>) =>
  Object.fromEntries(
    Object.entries(d.chains).map(([source, s]) => [
      source,
      s.map((x) => (x.detail ? `${x.stage}(${x.detail})` : x.stage)),
    ]),
  );

describe('shop-b topology', () => {
  it('reads the dump, then the topic; each through its mapper and the shared stages, as --describe prints', () => {
    const d = describeTopology(topology({ dump: dump('/nonexistent.json'), kafka }));
    expect(d.sources).toEqual([['shop-b.dump'], ['shop-b.kafka']]);
    expect(steps(d)).toEqual({
      'shop-b.dump': ['map(mapShopBDumpElement)', 'verify', 'resolve', 'load'],
      'shop-b.kafka': ['map(mapShopBMessage)', 'verify', 'resolve', 'load'],
    });
    const text = formatDescription(d);
    expect(text).toContain('shop-b.dump: map(mapShopBDumpElement) → verify → resolve → load');
    expect(text).toContain('shop-b.kafka: map(mapShopBMessage) → verify → resolve → load');
  });

  it('has only the sources the config names', () => {
    expect(describeTopology(topology({ dump: dump('/nonexistent.json') })).sources).toEqual([['shop-b.dump']]);
    expect(describeTopology(topology({ kafka })).sources).toEqual([['shop-b.kafka']]);
  });

  it('over a real windows-1251 dump file: every element read, each golden company in the CRM once', async () => {
    const ds = generate(scales.small, 7);
    const dir = await mkdtemp(join(tmpdir(), 'crm-unify-shop-b-'));
    try {
      const paths = await writeDataset(ds, dir);
      const { sandbox, deps } = await runOverSandbox(ds, (positions) => [
        topology({ dump: dump(paths.shopBDump) }, positions),
      ]);
      try {
        const s = deps.summary.toJSON();
        expect(s.read).toEqual({ 'shop-b.dump': ds.shopB.dump.length });
        const inns = sandbox.portal.store
          .all('requisite')
          .filter((r) => r.fields.ENTITY_TYPE_ID === '4')
          .map((r) => r.fields.RQ_INN);
        expect(inns.length).toBeGreaterThan(0);
        // One CRM company per golden company and INN (a company with branches has one requisite per KPP).
        const companies = sandbox.portal.store.all('company').length;
        expect(new Set(inns).size).toBe(companies);
        expect(await deps.store.count('companies')).toBe(companies);
        expect((await deps.store.stats()).pending).toBe(0);
      } finally {
        await sandbox.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
