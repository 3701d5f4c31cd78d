import https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFaultSpec, startSandbox, type Sandbox } from './sandbox.js';

let sb: Sandbox | undefined;
afterEach(() => sb?.stop());

function httpsJson(
  url: string,
  ca: string,
  body: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads foreign JSON loosely
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('startSandbox', () => {
  it('starts both emulators on random 127.0.0.1 ports over plain http', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-'));
    const registry = join(dir, 'registry.json');
    await writeFile(
      registry,
      JSON.stringify({
        '7707083893': { status: 'ACTIVE', name: 'ПАО СБЕРБАНК', ogrn: '1027700132195', kpp: '773601001' },
      }),
    );
    try {
      sb = await startSandbox({ registry, egrulLatencyMs: 0, webhookUser: '5', webhookSecret: 'abc', egrulToken: 't' });
      expect(sb.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rest\/5\/abc\/$/);
      expect(sb.egrulUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sb.ca).toBeUndefined();
      const res = await fetch(`${sb.webhookUrl}crm.company.add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"fields":{"TITLE":"x"}}',
      });
      expect(await res.json()).toMatchObject({ result: 1 });
      const eg = await fetch(`${sb.egrulUrl}/suggestions/api/4_1/rs/findById/party`, {
        method: 'POST',
        headers: { authorization: 'Token t', 'content-type': 'application/json' },
        body: '{"query":"7707083893"}',
      });
      expect(((await eg.json()) as { suggestions: unknown[] }).suggestions).toHaveLength(1);
      expect(sb.portal.counters.writes).toBe(1);
      expect(sb.egrul.counters.found).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves both over HTTPS with a certificate the exposed CA verifies', async () => {
    sb = await startSandbox({ tls: true, egrulLatencyMs: 0, rate: Infinity, burst: Infinity });
    expect(sb.ca).toMatch(/BEGIN CERTIFICATE/);
    expect(sb.webhookUrl.startsWith('https://127.0.0.1:')).toBe(true);
    expect((await httpsJson(`${sb.webhookUrl}crm.requisite.preset.list`, sb.ca!, {})).body.total).toBe(3);
    expect(
      (
        await httpsJson(
          `${sb.egrulUrl}/suggestions/api/4_1/rs/findById/party`,
          sb.ca!,
          { query: '1' },
          { authorization: 'Token sandbox-token' },
        )
      ).body,
    ).toEqual({ suggestions: [] });
    await expect(httpsJson(`${sb.webhookUrl}crm.company.list`, '', {})).rejects.toThrow(/self-signed|certificate/i);
  });

  it('rejects a bad fault spec before binding anything', async () => {
    await expect(startSandbox({ faults: '503=x' })).rejects.toThrow(/fault "503"/);
    expect(parseFaultSpec('lost=0.5').lost).toBe(0.5);
  });
});
