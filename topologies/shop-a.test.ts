import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/logger.js';
import { MemoryPositionStore } from '../src/core/positions.js';
import { defaultConnectPolicy } from '../src/core/reachability.js';
import { describeTopology } from '../src/pipeline/topology.js';
import { shopATopology } from './shop-a.js';

// Only the keys a user writes: the topology parses them (defaults included) itself.
const sources = (mode?: 'poll' | 'binlog') =>
  describeTopology(shopATopology({ mysql: 'mysql://reader@127.0.0.1:1/shop', ...(mode ? { mode } : {}) } as never, new MemoryPositionStore(), { once: true, connect: defaultConnectPolicy(silentLogger) })).sources;

describe('shop-a topology', () => {
  it('reads the full extract, then the polling delta by default', () => {
    expect(sources()).toEqual([['shop-a.full'], ['shop-a.delta']]);
    expect(sources('poll')).toEqual([['shop-a.full'], ['shop-a.delta']]);
  });

  it('with mode binlog, the full extract then the binlog stream', () => {
    expect(sources('binlog')).toEqual([['shop-a.full'], ['shop-a.binlog']]);
  });
});
