import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { clearSecretsForTests, scrub } from '../core/secrets.js';
import { loadConfigFile, resolveConfig } from './load.js';

const sample = `
state: { dir: var/state }
metrics: { port: 9464 }
crm: { webhookUrl: "http://127.0.0.1:8110/rest/1/secret/", rate: 2, burst: 50 }
registry: { url: "http://127.0.0.1:8111", token: "t0ken", concurrency: 16, rate: 30 }
sources:
  shopA: { mysql: "mysql://root@127.0.0.1:3306/shop_a", pollIntervalMs: 5000 }
  shopB:
    dump: { path: data/shop-b.json, encoding: windows-1251 }
    kafka: { brokers: ["127.0.0.1:9092"], topic: shop-b.crm.partners, groupId: crm-unify-shop-b }
`;

async function file(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
  const path = join(dir, 'crm-unify.yaml');
  await writeFile(path, text);
  return path;
}

describe('app config', () => {
  afterEach(() => clearSecretsForTests());

  it('accepts the documented shape and fills defaults', async () => {
    const cfg = await loadConfigFile(await file(sample), {});
    expect(cfg.sources.shopB?.kafka?.topic).toBe('shop-b.crm.partners');
    expect(cfg.crm.batchSize).toBe(50);
    expect(cfg.runtime.maxInFlight).toBe(2000);
    expect(Object.isFrozen(cfg.sources)).toBe(true);
  });

  it('lets the environment override secrets and endpoints, and registers them for scrubbing', async () => {
    const cfg = await loadConfigFile(await file(sample), {
      BITRIX24_WEBHOOK_URL: 'https://portal.example/rest/9/envsecret99/',
      DADATA_TOKEN: 'envtoken42',
      KAFKA_BROKERS: '10.0.0.1:9092, 10.0.0.2:9092',
      SHOP_A_MYSQL_URL: 'mysql://app:dbpass77@db/shop',
    });
    expect(cfg.crm.webhookUrl).toContain('envsecret99');
    expect(cfg.registry.token).toBe('envtoken42');
    expect(cfg.sources.shopB?.kafka?.brokers).toEqual(['10.0.0.1:9092', '10.0.0.2:9092']);
    expect(cfg.sources.shopA?.mysql).toBe('mysql://app:dbpass77@db/shop');
    expect(scrub('x envsecret99 envtoken42 dbpass77')).toBe('x *** *** ***');
  });

  it('refuses plain http to a non-loopback portal and reports every problem at once', () => {
    try {
      resolveConfig(
        { crm: { webhookUrl: 'http://portal.example/rest/1/abc/', rate: -1 }, registry: {}, metrics: { port: 'x' } },
        {},
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toMatch(/crm\.webhookUrl: .*https/);
      expect(issues).toMatch(/crm\.rate/);
      expect(issues).toMatch(/registry\.token/);
      expect(issues).toMatch(/metrics\.port/);
      expect((err as ConfigError).message).not.toContain('abc');
    }
  });

  it('names the register status field UF_CRM_REGISTER_STATUS unless told, and refuses a name the portal would not keep', async () => {
    expect((await loadConfigFile(await file(sample), {})).crm.registerStatusField).toBe('UF_CRM_REGISTER_STATUS');
    expect((await loadConfigFile('crm-unify.example.yaml', {})).crm.registerStatusField).toBe('UF_CRM_REGISTER_STATUS');
    const custom = sample.replace('burst: 50 }', 'burst: 50, registerStatusField: UF_CRM_EGRUL }');
    expect((await loadConfigFile(await file(custom), {})).crm.registerStatusField).toBe('UF_CRM_EGRUL');
    const bad = sample.replace('burst: 50 }', 'burst: 50, registerStatusField: REGISTER_STATUS }');
    await expect(loadConfigFile(await file(bad), {})).rejects.toThrow(/crm\.registerStatusField: expected UF_CRM_/);
  });

  it('sweeps the register in the background by default (20 % of the rate, back-off 1, 3, 7, 14 days), refusing a misspelt or shrinking setting', async () => {
    const sweep = (await loadConfigFile('crm-unify.example.yaml', {})).registry.sweep;
    expect(sweep).toEqual({
      enabled: true,
      share: 0.2,
      batch: 25,
      idleMinutes: 60,
      notFoundBackoffDays: [1, 3, 7, 14],
    });
    expect((await loadConfigFile(await file(sample), {})).registry.sweep).toEqual(sweep);
    expect(() =>
      resolveConfig(
        { crm: { webhookUrl: 'https://p.example/rest/1/abc/' }, registry: { token: 't', sweep: { enabeld: false } } },
        {},
      ),
    ).toThrow(/registry\.sweep.*enabeld/);
    expect(() =>
      resolveConfig(
        { crm: { webhookUrl: 'https://p.example/rest/1/abc/' }, registry: { token: 't', sweep: { share: 1.5 } } },
        {},
      ),
    ).toThrow(/registry\.sweep\.share/);
    expect(() =>
      resolveConfig(
        {
          crm: { webhookUrl: 'https://p.example/rest/1/abc/' },
          registry: { token: 't', sweep: { notFoundBackoffDays: [3, 1] } },
        },
        {},
      ),
    ).toThrow(/days must grow/);
    expect(
      resolveConfig(
        { crm: { webhookUrl: 'https://p.example/rest/1/abc/' }, registry: { token: 't', sweep: { enabled: false } } },
        {},
      ).registry.sweep.enabled,
    ).toBe(false);
  });

  it('says clearly when the file is missing or not YAML', async () => {
    await expect(loadConfigFile('/nonexistent/crm-unify.yaml', {})).rejects.toThrow(/cannot read \(ENOENT\)/);
    await expect(loadConfigFile(await file('crm: [unclosed'), {})).rejects.toThrow(/not valid YAML/);
  });
});
