// What listens where, and where a secret may travel in clear: the sandbox and the metrics server
// bind loopback by default (nothing answers on the machine's other addresses), and a plain
// http:// Bitrix24 webhook URL is refused unless it points at loopback — without echoing the secret.
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { Bitrix24ConfigSchema, loadBitrix24Config } from '../../src/connectors/bitrix24/config.js';
import { clearSecretsForTests } from '../../src/core/secrets.js';
import { Health } from '../../src/metrics/health.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { randomSecrets } from './pipeline-run.js';

afterAll(() => clearSecretsForTests());

/** This machine's non-loopback IPv4 addresses (none in some sandboxes: the check is then skipped). */
const external = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i && i.family === 'IPv4' && !i.internal)
  .map((i) => i!.address);

function tryConnect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

async function expectLoopbackOnly(url: string): Promise<void> {
  const u = new URL(url);
  expect(u.hostname).toBe('127.0.0.1');
  const port = Number(u.port);
  expect(await tryConnect('127.0.0.1', port)).toBe('connected');
  for (const address of external) expect(await tryConnect(address, port), `${address}:${port}`).not.toBe('connected');
}

describe('listeners bind loopback by default', () => {
  it('the sandbox portal and register', async () => {
    const sandbox = await startSandbox();
    try {
      await expectLoopbackOnly(sandbox.webhookUrl);
      await expectLoopbackOnly(sandbox.egrulUrl);
    } finally {
      await sandbox.stop();
    }
  });

  it('the metrics server, and the config default for it', async () => {
    const server = await startMetricsServer({ registry: new Registry(), health: new Health(), port: 0 });
    try {
      await expectLoopbackOnly(server.url);
    } finally {
      await server.close();
    }
    const cfg = AppConfig.parse({
      crm: { webhookUrl: 'https://portal.example.com/rest/1/abcdef/' },
      registry: { token: 'token-1' },
    });
    expect(cfg.metrics.host).toBe('127.0.0.1');
  });
});

describe('plain http:// webhook URLs', () => {
  const { webhookSecret } = randomSecrets();
  const refusedHosts = [
    'portal.example.com',
    '10.0.0.5',
    '192.168.1.10',
    '0.0.0.0',
    'localhost.example.com',
    '[2001:db8::1]',
  ];
  const loopbackHosts = ['127.0.0.1', 'localhost', '[::1]', '127.0.0.2'];

  it('are refused for any host but loopback, by the service config and by the connector config, without echoing the secret', () => {
    for (const host of refusedHosts) {
      const url = `http://${host}:8080/rest/1/${webhookSecret}/`;
      for (const attempt of [
        () => resolveConfig({ crm: { webhookUrl: url }, registry: { token: 'token-1' } }, {}),
        () => loadBitrix24Config({ webhookUrl: url }, {}),
      ]) {
        let thrown: unknown;
        try {
          attempt();
        } catch (err) {
          thrown = err;
        }
        expect(thrown, url).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/https/) });
        expect((thrown as Error).message).not.toContain(webhookSecret);
        expect(JSON.stringify(thrown)).not.toContain(webhookSecret);
      }
    }
  });

  it('are accepted for loopback (the sandbox), and https is accepted anywhere', () => {
    for (const host of loopbackHosts) {
      expect(
        Bitrix24ConfigSchema.safeParse({ webhookUrl: `http://${host}:8080/rest/1/${webhookSecret}/` }).success,
        host,
      ).toBe(true);
      expect(
        AppConfig.safeParse({
          crm: { webhookUrl: `http://${host}:8080/rest/1/${webhookSecret}/` },
          registry: { token: 'token-1' },
        }).success,
        host,
      ).toBe(true);
    }
    expect(
      Bitrix24ConfigSchema.safeParse({ webhookUrl: `https://portal.example.com/rest/1/${webhookSecret}/` }).success,
    ).toBe(true);
  });

  it('an operator allow-list (CRM_UNIFY_ALLOW_HTTP_HOSTS) is the only way to plain http elsewhere', () => {
    const url = `http://sandbox:8080/rest/1/${webhookSecret}/`;
    const before = process.env.CRM_UNIFY_ALLOW_HTTP_HOSTS;
    try {
      delete process.env.CRM_UNIFY_ALLOW_HTTP_HOSTS;
      expect(AppConfig.safeParse({ crm: { webhookUrl: url }, registry: { token: 'token-1' } }).success).toBe(false);
      process.env.CRM_UNIFY_ALLOW_HTTP_HOSTS = 'sandbox';
      expect(AppConfig.safeParse({ crm: { webhookUrl: url }, registry: { token: 'token-1' } }).success).toBe(true);
    } finally {
      if (before === undefined) delete process.env.CRM_UNIFY_ALLOW_HTTP_HOSTS;
      else process.env.CRM_UNIFY_ALLOW_HTTP_HOSTS = before;
    }
  });

  // Regression test for a fixed bug (src/connectors/bitrix24/config.ts:5): `loopback` tests the hostname with /^127\./, so any
  // DNS name starting with "127." passes as loopback: Bitrix24ConfigSchema / loadBitrix24Config
  // accept `http://127.attacker.example/rest/1/<secret>/` and `http://127.0.0.1.nip.io/…` and the
  // client would send the webhook secret in clear to that host. (The service's AppConfig overrides
  // the field with isLoopbackHost, /^127\.\d+\.\d+\.\d+$/, which refuses both.)
  it('http:// to a DNS name that merely starts with "127." is refused by the connector config', () => {
    for (const host of ['127.attacker.example', '127.0.0.1.nip.io']) {
      const url = `http://${host}/rest/1/${webhookSecret}/`;
      expect(AppConfig.safeParse({ crm: { webhookUrl: url }, registry: { token: 'token-1' } }).success).toBe(false);
      expect(Bitrix24ConfigSchema.safeParse({ webhookUrl: url }).success, host).toBe(false);
    }
  });
});
