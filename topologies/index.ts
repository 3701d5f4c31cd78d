import { defaultConnectPolicy } from '../src/core/reachability.js';
import type { Topology, TopologyContext, TopologyRegistry } from '../src/pipeline/topology.js';
import { shopATopology } from './shop-a.js';
import { shopBTopology } from './shop-b.js';

/** The topologies `crm-unify run` knows, by name; each needs its store's part of the config. */
export const topologies = {
  'shop-a': (c: TopologyContext): Topology | string =>
    c.config.sources.shopA
      ? shopATopology(c.config.sources.shopA, c.positions, {
          once: c.once,
          connect: c.connect ?? defaultConnectPolicy(c.logger),
        })
      : 'needs sources.shopA (a mysql URL, or SHOP_A_MYSQL_URL)',
  'shop-b': (c: TopologyContext): Topology | string =>
    c.config.sources.shopB?.dump || c.config.sources.shopB?.kafka
      ? shopBTopology(c.config.sources.shopB, c.positions, {
          once: c.once,
          logger: c.logger,
          connect: c.connect ?? defaultConnectPolicy(c.logger),
          dlq: !c.dryRun,
        })
      : 'needs sources.shopB.dump and/or sources.shopB.kafka',
} satisfies TopologyRegistry;
