import type { AppConfig } from '../src/config/schema.js';
import type { Logger } from '../src/core/logger.js';
import { defaultConnectPolicy, type ConnectPolicy } from '../src/core/reachability.js';
import type { PositionStore } from '../src/core/positions.js';
import type { Topology } from '../src/pipeline/topology.js';
import { shopATopology } from './shop-a.js';
import { shopBTopology } from './shop-b.js';

export interface TopologyContext {
  config: Readonly<AppConfig>;
  positions: PositionStore;
  once: boolean;
  logger: Logger;
  /** How sources and sinks wait for servers that cannot be reached (the service's policy). */
  connect?: ConnectPolicy;
  /** `crm-unify plan`: read the sources, write nowhere but the (scratch) state — no DLQ topic. */
  dryRun?: boolean;
}

/** The topologies `crm-unify run` knows, by name; each needs its store's part of the config. */
export const topologies = {
  'shop-a': (c: TopologyContext): Topology | string =>
    c.config.sources.shopA ? shopATopology(c.config.sources.shopA, c.positions, { once: c.once, connect: c.connect ?? defaultConnectPolicy(c.logger) }) : 'needs sources.shopA (a mysql URL, or SHOP_A_MYSQL_URL)',
  'shop-b': (c: TopologyContext): Topology | string =>
    c.config.sources.shopB?.dump || c.config.sources.shopB?.kafka
      ? shopBTopology(c.config.sources.shopB, c.positions, { once: c.once, logger: c.logger, connect: c.connect ?? defaultConnectPolicy(c.logger), dlq: !c.dryRun })
      : 'needs sources.shopB.dump and/or sources.shopB.kafka',
} as const;

export type TopologyName = keyof typeof topologies;
export const topologyNames = Object.keys(topologies) as TopologyName[];
