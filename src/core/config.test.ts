import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from './config.js';
import { ConfigError } from './errors.js';

const schema = z.object({
  state: z.object({ dir: z.string().min(1) }),
  metrics: z.object({ port: z.number().int().min(0).max(65535) }),
  crm: z.object({ webhookUrl: z.string().url(), rate: z.number().positive().default(2) }),
});

describe('parseConfig', () => {
  it('reports all three mistakes of a config in one error', () => {
    const bad = { state: { dir: '' }, metrics: { port: 70000 }, crm: { webhookUrl: 'not a url' } };
    let caught: unknown;
    try {
      parseConfig(schema, bad, 'crm-unify.yaml');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues).toHaveLength(3);
    expect(err.message).toContain('3 problems');
    expect(err.issues.join('\n')).toMatch(/state\.dir/);
    expect(err.issues.join('\n')).toMatch(/metrics\.port/);
    expect(err.issues.join('\n')).toMatch(/crm\.webhookUrl/);
  });

  it('returns the parsed config with defaults, deeply frozen', () => {
    const cfg = parseConfig(schema, {
      state: { dir: 'var' },
      metrics: { port: 9464 },
      crm: { webhookUrl: 'https://p.example/rest/1/x/' },
    });
    expect(cfg.crm.rate).toBe(2);
    expect(Object.isFrozen(cfg.crm)).toBe(true);
    expect(() => {
      (cfg.crm as { rate: number }).rate = 5;
    }).toThrow(TypeError);
  });
});

describe('parseConfig and unknown keys', () => {
  const app = z.object({
    crm: z.object({ rate: z.number().default(2), burst: z.number().default(50) }).default({ rate: 2, burst: 50 }),
    registry: z.object({ concurrency: z.number().default(16) }).optional(),
    sources: z
      .object({ shopA: z.object({ mysql: z.string() }).optional(), shopB: z.object({ kafka: z.string() }).optional() })
      .default({}),
  });

  it('names every misspelt key with the key it most likely meant, together with other problems', () => {
    let caught: unknown;
    try {
      parseConfig(
        app,
        {
          crm: { rat: 5, burst: 'x' },
          registry: { concurency: 4 },
          sources: { shopC: {}, shopA: { mysql: 'm', mode: 'binlog' } },
        },
        'f.yaml',
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const issues = (caught as ConfigError).issues;
    expect(issues).toContain('f.yaml: crm.rat: unknown key (did you mean "rate"?)');
    expect(issues).toContain('f.yaml: registry.concurency: unknown key (did you mean "concurrency"?)');
    expect(issues).toContain('f.yaml: sources.shopC: unknown key (did you mean "shopA" or "shopB"?)');
    expect(issues).toContain('f.yaml: sources.shopA.mode: unknown key (known keys here: mysql)');
    expect(issues.some((i) => i.startsWith('f.yaml: crm.burst:'))).toBe(true);
    expect(issues).toHaveLength(5);
  });

  it('takes its known keys from the schema, so a key added to a schema validates at once', () => {
    const extended = app.extend({ crm: z.object({ rate: z.number(), mergedContacts: z.string() }) });
    expect(parseConfig(extended, { crm: { rate: 1, mergedContacts: 'mark' } }).crm.mergedContacts).toBe('mark');
  });
});
