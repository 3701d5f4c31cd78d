import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../test/support/cli.js';
import { kafkaBrokers, testKafka, uniqueTopic } from '../../test/support/inject.js';
import { company, upsert } from '../resolve/fixtures.js';
import { Resolver } from '../resolve/resolver.js';
import { openLevelStore } from '../state/level-store.js';
import { haNames } from './config.js';
import { openChangelogState } from './changelog-open.js';

const root = mkdtempSync(join(tmpdir(), 'crm-unify-changelog-cli-'));
const app = uniqueTopic('cli');
const active = join(root, 'active');
const restored = join(root, 'restored');
let config: string;

const yaml = (enabled: boolean) =>
  `crm: { webhookUrl: "http://127.0.0.1:9/rest/1/secret/" }\n` +
  `registry: { url: "http://127.0.0.1:9", token: "t" }\n` +
  `state: { dir: "${active}" }\n` +
  `ha: { enabled: ${enabled}, brokers: ${JSON.stringify(kafkaBrokers())}, app: "${app}" }\n`;

beforeAll(async () => {
  config = join(root, 'crm-unify.yaml');
  writeFileSync(config, yaml(true));
  // An active instance's state: resolved companies, written through the changelog.
  const names = haNames(app);
  const state = await openChangelogState({
    kafka: testKafka('changelog-cli'),
    dir: active,
    topic: names.changelogTopic,
    transactionalId: names.transactionalId,
  });
  try {
    const resolver = new Resolver(state.store);
    const inns = ['7707083893', '7736207543', '7702070139'];
    await Promise.all(inns.map((inn, i) => resolver.resolve(upsert(company({ inn })), { ref: `p0@${i}` })));
    await resolver.flush();
  } finally {
    await state.close();
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('crm-unify state restore / verify', () => {
  it('restores a state directory from the changelog alone, and verify finds it identical', async () => {
    const r = await cli('state', 'restore', '--config', config, '--dir', restored);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        `^restored ${restored} from ${app}\\.changelog \\(up to offset \\d+\\): \\d+ messages, \\d+ keys, 3 companies in`,
      ),
    );
    expect(r.out).toMatch(/companies\/s/);

    const v = await cli('state', 'verify', '--config', config, '--dir', restored);
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(/matches the changelog up to offset \d+: \d+ keys/);
    // The active instance's own directory matches too.
    expect((await cli('state', 'verify', '--config', config)).code).toBe(0);
  });

  it('refuses to restore over a state unless --force', async () => {
    const again = await cli('state', 'restore', '--config', config, '--dir', restored);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds state; --force/);
    const forced = await cli('state', 'restore', '--config', config, '--dir', restored, '--force', '--json');
    expect(forced.code, forced.err).toBe(0);
    expect(JSON.parse(forced.out)).toMatchObject({ companies: 3, dir: restored });
  });

  it('verify names a key the directory lost, changed or gained, and exits 1', async () => {
    const store = await openLevelStore(restored);
    const kept = (await store.get('companies', '7707083893'))!;
    await store.batch([
      { type: 'del', ns: 'companies', key: '7736207543' },
      { type: 'put', ns: 'matchKeys', key: 'stray', value: 'x' },
      { type: 'put', ns: 'companies', key: '7707083893', value: { ...kept, hash: 'tampered' } },
    ]);
    await store.close();
    const v = await cli('state', 'verify', '--config', config, '--dir', restored);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/differs from the changelog up to offset \d+ \(\d+ keys\): 1 missing, 1 extra, 1 different/);
    expect(v.out).toContain('missing   companies/7736207543');
    expect(v.out).toContain('extra     matchKeys/stray');
    expect(v.out).toContain('different companies/7707083893');
    expect(v.out).not.toContain('ООО'); // keys only, never values
  });

  it('needs ha.enabled', async () => {
    const off = join(root, 'off.yaml');
    writeFileSync(off, yaml(false));
    const r = await cli('state', 'verify', '--config', off, '--dir', restored);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ha\.enabled/);
  });
});
