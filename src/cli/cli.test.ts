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
});
