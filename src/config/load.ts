import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { registerSecret, registerUrlSecrets } from '../core/secrets.js';
import { AppConfig } from './schema.js';

type Env = Record<string, string | undefined>;

/** Secrets and endpoints from the environment win over the file (12-factor; keeps secrets out of YAML). */
export function applyEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const cfg = structuredClone(raw) as Record<string, Record<string, unknown> | undefined> & Record<string, unknown>;
  const section = (name: string) => (cfg[name] ??= {}) as Record<string, unknown>;
  if (env.BITRIX24_WEBHOOK_URL) section('crm').webhookUrl = env.BITRIX24_WEBHOOK_URL;
  if (env.DADATA_TOKEN) section('registry').token = env.DADATA_TOKEN;
  const sources = section('sources');
  if (env.SHOP_A_MYSQL_URL) sources.shopA = { ...(sources.shopA as object | undefined), mysql: env.SHOP_A_MYSQL_URL };
  if (env.KAFKA_BROKERS && sources.shopB && (sources.shopB as Record<string, unknown>).kafka) {
    const shopB = sources.shopB as Record<string, Record<string, unknown>>;
    shopB.kafka = {
      ...shopB.kafka,
      brokers: env.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    };
  }
  return cfg;
}

/** Parses, validates (all problems at once), registers secrets for scrubbing, freezes. */
export function resolveConfig(raw: unknown, env: Env = process.env, origin = 'config'): Readonly<AppConfig> {
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError([`${origin}: expected a mapping at the top level`]);
  }
  const merged = applyEnvOverrides((raw ?? {}) as Record<string, unknown>, env);
  // Register before validating: an invalid config's error message must not echo a secret either.
  registerSecretsOf(merged);
  return parseConfig(AppConfig, merged, origin);
}

function registerSecretsOf(cfg: Record<string, unknown>): void {
  const crm = cfg.crm as { webhookUrl?: unknown } | undefined;
  const registry = cfg.registry as { token?: unknown } | undefined;
  const shopA = (cfg.sources as { shopA?: { mysql?: unknown } } | undefined)?.shopA;
  if (typeof crm?.webhookUrl === 'string') registerUrlSecrets(crm.webhookUrl);
  if (typeof registry?.token === 'string') registerSecret(registry.token);
  if (typeof shopA?.mysql === 'string') registerUrlSecrets(shopA.mysql);
}

/** What a first run without a config needs to hear: where we looked, and how to make one. */
function firstRunHint(path: string): string {
  return (
    `: looked for ${resolve(path)}. Start from crm-unify.example.yaml (copy it to ./crm-unify.yaml or pass --config FILE), ` +
    'put secrets and endpoints in the environment (BITRIX24_WEBHOOK_URL, DADATA_TOKEN, SHOP_A_MYSQL_URL, KAFKA_BROKERS), ' +
    'and check it with `crm-unify config check --config FILE`'
  );
}

export async function loadConfigFile(path: string, env: Env = process.env): Promise<Readonly<AppConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError([`${path}: cannot read (${code})${code === 'ENOENT' ? firstRunHint(path) : ''}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${path}: not valid YAML: ${(err as Error).message}`]);
  }
  return resolveConfig(raw, env, path);
}
