import { JsonDumpSource } from '../src/connectors/json-dump/json-dump.source.js';
import { MemorySource } from '../src/connectors/memory/memory.source.js';
import type { MysqlRow } from '../src/connectors/mysql/rows.js';
import type { PositionStore } from '../src/core/positions.js';
import type { Dataset } from '../src/gen/dataset.js';
import { phase, type Topology } from '../src/pipeline/topology.js';
import { shopAChain } from './shop-a.js';
import { shopBDumpChain, shopBEventChain } from './shop-b.js';

/** Shop A's tables of a data set as the rows its MySQL sources read: companies, then contacts. */
export function shopATableRows(ds: Dataset): MysqlRow[] {
  return [
    ...ds.shopA.companies.map((row) => ({ table: 'companies', row: row as unknown as Record<string, unknown> })),
    ...ds.shopA.contacts.map((row) => ({ table: 'contacts', row: row as unknown as Record<string, unknown> })),
  ];
}

/**
 * The demo's topologies over a generated data set (`crm-unify demo`, the e2e bench, the security
 * tests; src/demo runs them): Shop A's tables and Shop B's topic are played from memory (nothing
 * else needs to run); Shop B's dump is a real windows-1251 file read by the real dump source.
 */
export function demoTopologies(ds: Dataset, dumpPath: string, positions: PositionStore): Topology[] {
  const rows = shopATableRows(ds);
  const messages = ds.shopB.events.map((e) => ({ value: Buffer.from(e.value), tombstone: false }));
  return [
    {
      name: 'shop-a',
      groups: [
        [
          phase({
            name: 'shop-a.tables',
            chain: shopAChain,
            open: async () => ({ source: new MemorySource(rows, { name: 'shop-a.tables' }) }),
          }),
        ],
      ],
    },
    {
      name: 'shop-b',
      groups: [
        [
          phase({
            name: 'shop-b.dump',
            chain: shopBDumpChain,
            open: async () => ({
              source: new JsonDumpSource({
                config: { name: 'shop-b.dump', path: dumpPath, encoding: 'windows-1251', readChunkBytes: 256 * 1024 },
                positions,
              }),
            }),
          }),
        ],
        [
          phase({
            name: 'shop-b.events',
            chain: shopBEventChain,
            open: async () => ({ source: new MemorySource(messages, { name: 'shop-b.events' }) }),
          }),
        ],
      ],
    },
  ];
}
