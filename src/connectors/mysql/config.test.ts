import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { scrub } from '../../core/secrets.js';
import { loadMysqlSourceConfig } from './config.js';

describe('loadMysqlSourceConfig', () => {
  it('fills Shop A defaults and registers the password as a secret', () => {
    const config = loadMysqlSourceConfig({ url: 'mysql://reader:s3cr3t-pw@replica:3306/shop' });
    expect(config).toMatchObject({
      name: 'shop-a',
      tables: ['companies', 'contacts'],
      pageSize: 1000,
      lookbackSeconds: 30,
      mode: 'poll',
    });
    expect(scrub('connect mysql://reader:s3cr3t-pw@replica')).not.toContain('s3cr3t-pw');
  });

  it('reads changes by polling unless told binlog; refuses any other mode', () => {
    expect(loadMysqlSourceConfig({ url: 'mysql://x', mode: 'binlog' }).mode).toBe('binlog');
    expect(() => loadMysqlSourceConfig({ url: 'mysql://x', mode: 'cdc' })).toThrow(/mode/);
  });

  it('refuses table names that are not plain identifiers (they go into SQL text)', () => {
    expect(() => loadMysqlSourceConfig({ url: 'mysql://x', tables: ['companies; DROP TABLE x'] })).toThrow(ConfigError);
  });
});
