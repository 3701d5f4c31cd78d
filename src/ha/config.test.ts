import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { haBrokers } from '../config/schema.js';

const base = { crm: { webhookUrl: 'http://127.0.0.1:1/rest/1/x/' }, registry: { token: 't' } };

describe('ha config', () => {
  it('is off by default, named after the app', () => {
    const c = resolveConfig(base, {});
    expect(c.ha).toMatchObject({ enabled: false, app: 'crm-unify', sessionTimeoutMs: 10_000 });
  });

  it('needs brokers when enabled, and takes Shop B’s by default', () => {
    expect(() => resolveConfig({ ...base, ha: { enabled: true } }, {})).toThrow(/ha\.brokers/);
    const c = resolveConfig(
      { ...base, ha: { enabled: true }, sources: { shopB: { kafka: { brokers: ['k:9092'] } } } },
      {},
    );
    expect(haBrokers(c)).toEqual(['k:9092']);
  });

  it('reports every bad setting at once', () => {
    let message = '';
    try {
      resolveConfig(
        { ...base, ha: { app: 'a b', sessionTimeoutMs: 6000, fenceMarginMs: 7000, heartbeatIntervalMs: 3000 } },
        {},
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/ha\.app/);
    expect(message).toMatch(/fenceMarginMs/);
    expect(message).toMatch(/heartbeatIntervalMs/);
  });
});
