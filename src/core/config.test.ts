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
    const cfg = parseConfig(schema, { state: { dir: 'var' }, metrics: { port: 9464 }, crm: { webhookUrl: 'https://p.example/rest/1/x/' } });
    expect(cfg.crm.rate).toBe(2);
    expect(Object.isFrozen(cfg.crm)).toBe(true);
    expect(() => { (cfg.crm as { rate: number }).rate = 5; }).toThrow(TypeError);
  });
});
