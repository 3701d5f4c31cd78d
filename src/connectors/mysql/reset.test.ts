import { describe, expect, it } from 'vitest';
import { MysqlSourceConfigSchema } from './config.js';
import { binlogKey, deltaKey, fullKey, MemoryPositionStore } from './positions.js';
import { resetMysqlPositions } from './reset.js';

const config = MysqlSourceConfigSchema.parse({ url: 'mysql://x/shop', tables: ['companies'] });

describe('resetMysqlPositions', () => {
  it('earliest forgets the binlog position too, so the next extract stores a fresh one', async () => {
    const positions = new MemoryPositionStore();
    for (const key of [fullKey('shop-a', 'companies'), deltaKey('shop-a', 'companies'), binlogKey('shop-a')])
      positions.data.set(key, 'x');
    await resetMysqlPositions(positions, config, 'earliest');
    expect([...positions.data.keys()]).toEqual([]);
  });
});
