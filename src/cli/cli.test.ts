import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from '../../test/support/cli.js';

const run = cli;

describe('crm-unify command line', () => {
  afterEach(() => vi.restoreAllMocks());

  it('check: exit 0 when all valid, 1 when any is invalid, JSON in input order', async () => {
    expect((await run('check', 'inn', '7707083893')).code).toBe(0);
    const bad = await run('check', 'inn', '7707083893', '7707083894', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toEqual([
      { value: '7707083893', kind: 'inn', valid: true, reason: null },
      { value: '7707083894', kind: 'inn', valid: false, reason: 'checksum' },
    ]);
    expect((await run('check', 'ogrn', '1027700132195', '304500116000061')).code).toBe(0);
  });

  it('usage errors exit 2 with a message', async () => {
    const noBik = await run('check', 'account', '40702810938000000001');
    expect(noBik.code).toBe(2);
    expect(noBik.err).toContain('--bik');
    expect((await run('check', 'snils', '1')).code).toBe(2);
    expect((await run('no-such-command')).code).toBe(2);
    expect((await run('gen', '--out', '/tmp/x', '--scale', 'huge')).code).toBe(2);
    expect((await run('sandbox', '--faults', 'nonsense=1')).code).toBe(2);
  });

  it('help exits 0 and lists the commands', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/check/);
    expect(help.out).toMatch(/sandbox/);
  });

  it("run --describe prints each topology's wiring without running it, and names every missing part", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-unify-describe-'));
    const path = join(dir, 'crm-unify.yaml');
    writeFileSync(
      path,
      [
        'crm: { webhookUrl: "http://127.0.0.1:1/rest/1/s3cret/" }',
        'registry: { url: "http://127.0.0.1:2", token: "t0ken" }',
        'sources:',
        '  shopB: { dump: { path: /nonexistent/shop-b.json }, kafka: { brokers: ["127.0.0.1:9"] } }',
      ].join('\n'),
    );
    const ok = await run('run', 'shop-b', '--describe', '--config', path);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/topology shop-b/);
    expect(ok.out).toMatch(/sources\s+shop-b\.dump/);
    expect(ok.out).toMatch(/then\s+shop-b\.kafka/);
    expect(ok.out).toMatch(/shop-b\.dump: map\(mapShopBDumpElement\) → verify → resolve → load/);
    expect(ok.out).toMatch(/shop-b\.kafka: map\(mapShopBMessage\) → verify → resolve → load/);
    const missing = await run('run', 'shop-a', 'shop-b', '--describe', '--config', path);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/topology shop-a needs sources\.shopA/);
  });
  it('config check and run refuse misspelt keys (exit 2), naming each one and the key it likely meant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-unify-typos-'));
    const path = join(dir, 'crm-unify.yaml');
    writeFileSync(
      path,
      [
        'crm: { webhookUrl: "http://127.0.0.1:1/rest/1/s3cret/", rat: 5 }',
        'registry: { url: "http://127.0.0.1:2", token: "t0ken", concurency: 4 }',
        'runtime: { conectTimeoutMs: 1000 }',
        'sources:',
        '  shopA: { mysql: "mysql://root@127.0.0.1:3306/a", mdoe: binlog }',
        '  shopC: { mysql: "mysql://root@127.0.0.1:3306/c" }',
      ].join('\n'),
    );
    for (const argv of [
      ['config', 'check', '--config', path],
      ['run', 'shop-a', '--once', '--config', path],
    ]) {
      const res = await run(...argv);
      expect(res.code, res.err).toBe(2);
      expect(res.out).toBe('');
      expect(res.err).toContain('crm.rat: unknown key (did you mean "rate"?)');
      expect(res.err).toContain('registry.concurency: unknown key (did you mean "concurrency"?)');
      expect(res.err).toContain('runtime.conectTimeoutMs: unknown key (did you mean "connectTimeoutMs"?)');
      expect(res.err).toContain('sources.shopA.mdoe: unknown key (did you mean "mode"?)');
      expect(res.err).toContain('sources.shopC: unknown key (did you mean "shopA" or "shopB"?)');
      expect(res.err).toContain('5 problems');
    }
  });

  it('run without a config file says where it looked and how to make one', async () => {
    const res = await run('run', 'shop-a', '--config', join(tmpdir(), 'no-such-dir-crm-unify', 'crm-unify.yaml'));
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/looked for \/.*no-such-dir-crm-unify\/crm-unify\.yaml/);
    expect(res.err).toContain('crm-unify.example.yaml');
    expect(res.err).toContain('crm-unify config check');
  });
});
