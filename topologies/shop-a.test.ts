import { describe, expect, it } from 'vitest';
import { MemorySource } from '../src/connectors/memory/memory.source.js';
import type { MysqlRow } from '../src/connectors/mysql/rows.js';
import { silentLogger } from '../src/core/logger.js';
import { MemoryPositionStore } from '../src/core/positions.js';
import { defaultConnectPolicy } from '../src/core/reachability.js';
import { generate, scales } from '../src/gen/dataset.js';
import { describeTopology, formatDescription, phase } from '../src/pipeline/topology.js';
import { runOverSandbox } from '../test/support/topology-run.js';
import { shopATableRows } from './demo.js';
import { shopAChain, shopATopology } from './shop-a.js';

// Only the keys a user writes: the topology parses them (defaults included) itself.
const described = (mode?: 'poll' | 'binlog') =>
  describeTopology(
    shopATopology(
      { mysql: 'mysql://reader@127.0.0.1:1/shop', ...(mode ? { mode } : {}) } as never,
      new MemoryPositionStore(),
      { once: true, connect: defaultConnectPolicy(silentLogger) },
    ),
  );

describe('shop-a topology', () => {
  it('reads the full extract, then the polling delta by default', () => {
    expect(described().sources).toEqual([['shop-a.full'], ['shop-a.delta']]);
    expect(described('poll').sources).toEqual([['shop-a.full'], ['shop-a.delta']]);
  });

  it('with mode binlog, the full extract then the binlog stream', () => {
    expect(described('binlog').sources).toEqual([['shop-a.full'], ['shop-a.binlog']]);
  });

  it('runs every source through one chain, and --describe prints that chain', () => {
    for (const mode of ['poll', 'binlog'] as const) {
      const d = described(mode);
      for (const steps of Object.values(d.chains)) {
        expect(steps.map((s) => [s.stage, s.detail])).toEqual([
          ['map', 'mapShopARow'],
          ['verify', undefined],
          ['resolve', undefined],
          ['load', undefined],
        ]);
      }
      expect(formatDescription(d)).toContain('chain    map(mapShopARow) → verify → resolve → load');
    }
  });

  it('its chain over the tables from memory: every row accounted for, each golden company in the CRM once', async () => {
    const ds = generate(scales.small, 6);
    const rows = shopATableRows(ds);
    let source: MemorySource<MysqlRow> | undefined;
    const { sandbox, deps } = await runOverSandbox(ds, () => [
      {
        name: 'shop-a',
        groups: [
          [
            phase({
              name: 'shop-a.tables',
              chain: shopAChain,
              open: async () => ({ source: (source = new MemorySource(rows, { name: 'shop-a.tables' })) }),
            }),
          ],
        ],
      },
    ]);
    try {
      const s = deps.summary.toJSON();
      expect(s.read).toEqual({ 'shop-a.tables': rows.length });
      expect(source!.committed).toBe(rows.length - 1);
      // One CRM company per golden company and INN (a company with branches has one requisite per KPP).
      const inns = sandbox.portal.store
        .all('requisite')
        .filter((r) => r.fields.ENTITY_TYPE_ID === '4')
        .map((r) => r.fields.RQ_INN);
      const companies = sandbox.portal.store.all('company').length;
      expect(companies).toBeGreaterThan(0);
      expect(new Set(inns).size).toBe(companies);
      expect(await deps.store.count('companies')).toBe(companies);
      expect((await deps.store.stats()).pending).toBe(0);
      expect(s.totalRejected).toBeGreaterThan(0);
    } finally {
      await sandbox.stop();
    }
  });
});
