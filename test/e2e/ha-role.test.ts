import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/logger.js';
import { topologies } from '../../topologies/index.js';
import { runHighlyAvailable } from '../../src/ha/role.js';

describe('runHighlyAvailable', () => {
  it('keeps trying to reach Kafka for the lease, and a stop while waiting ends the run cleanly (not fenced)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-unify-role-'));
    const config = resolveConfig(
      {
        state: { dir: join(dir, 'state') },
        metrics: { port: 0 },
        crm: { webhookUrl: 'http://127.0.0.1:9/rest/1/secret/' },
        registry: { url: 'http://127.0.0.1:9', token: 't' },
        ha: { enabled: true, brokers: ['127.0.0.1:9'], sessionTimeoutMs: 6_000 },
      },
      {},
    );
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
    });
    const stop = new AbortController();
    const fenced: unknown[] = [];
    setTimeout(() => stop.abort(), 3_000);
    const summary = await runHighlyAvailable({
      topologies,
      names: ['shop-b'],
      config,
      once: false,
      logger,
      stop: stop.signal,
      onFenced: (err) => fenced.push(err),
    });
    expect(summary).toBeDefined();
    expect(fenced).toEqual([]);
    expect(lines.some((l) => l.includes('HA: cannot reach Kafka for the lease, retrying'))).toBe(true);
  });
});
