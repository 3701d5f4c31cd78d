import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfigFile } from './load.js';

// Every config file the project ships (the example, the Docker ones) must load as it stands.
const shipped = readdirSync('.').filter((f) => /^crm-unify\..*\.ya?ml$/.test(f));

describe('shipped config files', () => {
  // As docker-compose.yml runs them: the sandbox is reached over plain http inside the compose network.
  beforeEach(() => vi.stubEnv('CRM_UNIFY_ALLOW_HTTP_HOSTS', 'sandbox'));
  afterEach(() => vi.unstubAllEnvs());

  it('are found', () => expect(shipped).toContain('crm-unify.example.yaml'));

  it.each(shipped)('%s loads without a problem', async (file) => {
    await expect(loadConfigFile(file, {})).resolves.toBeDefined();
  });

  it('the HA one turns HA on, on Shop B’s brokers', async () => {
    const c = await loadConfigFile('crm-unify.docker-ha.yaml', {});
    expect(c.ha.enabled).toBe(true);
    expect(c.sources.shopB?.kafka?.brokers).toEqual(['kafka:9092']);
  });
});
