import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generate, scaleFraction, scales, type Scale } from '../gen/dataset.js';
import { datasetOutcomes } from '../../test/support/dataset-changes.js';
import { companyProvenance, contactProvenance } from '../resolve/provenance.js';
import { at, company, contact, person, upsert } from '../resolve/fixtures.js';
import { Resolver } from '../resolve/resolver.js';
import { openLevelStore, type LevelStateStore } from './level-store.js';
import { matchIndexKey } from './keys.js';
import { MemoryStateStore } from './memory-store.js';
import { migrateState } from './migrate.js';
import { namespaces, type Namespace, type StateOp, type StateStore } from './store.js';

async function dump(store: StateStore): Promise<Record<string, Array<[string, unknown]>>> {
  const out: Record<string, Array<[string, unknown]>> = {};
  for (const ns of namespaces) {
    out[ns] = [];
    for await (const entry of store.iterate(ns)) out[ns].push(entry);
  }
  return out;
}

/**
 * Every record of a generated dataset (Shop A rows, the dump, the Kafka events), mapped and resolved
 * one at a time in that order: golden contact ids follow arrival order, so the same input gives
 * the same state whichever release resolves it.
 */
async function resolveInOrder(store: StateStore, scale: Scale, seed: number): Promise<void> {
  const ds = generate(scale, seed);
  const outcomes = datasetOutcomes(ds);
  const resolver = new Resolver(store, { now: () => new Date('2026-01-01T00:00:00Z') });
  let n = 0;
  for (const o of outcomes) if (o.ok) await resolver.resolve(o.value, { ref: `0@${n++}` });
  await resolver.flush();
}

/** A few hundred companies with their contacts (merges, shared lines, both stores). */
const resolveDataset = (store: StateStore) =>
  resolveInOrder(store, { ...scales.seed, shopACompanies: 120, shopBCompanies: 240, overlap: 40 }, 7);

/** What the release before format 2 wrote for the same input: provenance in every golden state, and the match-key index. */
async function addFormat1(store: StateStore): Promise<{ companies: number; contacts: number; matchKeys: number }> {
  const ops: StateOp[] = [];
  const counts = { companies: 0, contacts: 0, matchKeys: 0 };
  for await (const [inn, c] of store.iterate('companies')) {
    ops.push({ type: 'put', ns: 'companies', key: inn, value: { ...c, provenance: companyProvenance(c) } as typeof c });
    counts.companies++;
  }
  for await (const [id, c] of store.iterate('contacts')) {
    ops.push({ type: 'put', ns: 'contacts', key: id, value: { ...c, provenance: contactProvenance(c) } as typeof c });
    counts.contacts++;
    for (const k of c.keys) {
      ops.push({ type: 'put', ns: 'matchKeys', key: matchIndexKey(c.inn, k), value: id });
      counts.matchKeys++;
    }
  }
  await store.batch(ops);
  return counts;
}

describe('state migrate (format 1 → 2)', () => {
  let dir: string;
  let stores: LevelStateStore[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crm-unify-migrate-'));
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });
  const open = async (name: string) => {
    const s = await openLevelStore(join(dir, name));
    stores.push(s);
    return s;
  };

  it('turns a format-1 state into exactly the state format 2 writes for the same input, and then has nothing to do', async () => {
    const fresh = await open('fresh');
    const old = await open('old');
    await resolveDataset(fresh);
    await resolveDataset(old);
    const expected = await dump(fresh);
    expect(expected.companies!.length).toBeGreaterThan(250);
    expect(expected.matchKeys).toEqual([]);
    const written = await addFormat1(old);
    expect(written.matchKeys).toBeGreaterThan(written.contacts);
    expect(await dump(old)).not.toEqual(expected);

    expect(await migrateState(old)).toEqual(written);
    expect(await dump(old)).toEqual(expected);
    expect(await migrateState(old)).toEqual({ companies: 0, contacts: 0, matchKeys: 0 });
  });

  it('resolves on after a migration exactly as on a state that never had format 1', async () => {
    const fresh = await open('fresh');
    const old = await open('old');
    await resolveDataset(fresh);
    await resolveDataset(old);
    await addFormat1(old);
    await migrateState(old);
    // The same input again (a replay) changes nothing in either, and leaves them equal.
    await resolveDataset(fresh);
    await resolveDataset(old);
    expect(await dump(old)).toEqual(await dump(fresh));
  });
});

describe('state migrate on a state the release before format 2 wrote', () => {
  // fixtures/format1-state.jsonl.gz: every entry of every namespace, read through the StateStore API
  // from a LevelDB state that commit 30ad4f4 (the last format-1 release) wrote resolving
  // generate(scaleFraction(0.0005), 1) — the input `resolveInOrder` gives here.
  it('migrates to exactly the state this release writes for the same input', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crm-unify-migrate-release-'));
    const old = await openLevelStore(join(dir, 'old'));
    const fresh = await openLevelStore(join(dir, 'fresh'));
    try {
      const entries = gunzipSync(readFileSync(new URL('./fixtures/format1-state.jsonl.gz', import.meta.url)))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as [Namespace, string, unknown]);
      await old.batch(entries.map(([ns, key, value]) => ({ type: 'put', ns, key, value }) as StateOp));
      expect(await old.count('matchKeys')).toBeGreaterThan(100);
      await resolveInOrder(fresh, scaleFraction(0.0005), 1);

      const report = await migrateState(old);
      expect(report).toEqual({
        companies: await fresh.count('companies'),
        contacts: await fresh.count('contacts'),
        matchKeys: expect.any(Number),
      });
      expect(await dump(old)).toEqual(await dump(fresh));
    } finally {
      await Promise.all([old.close(), fresh.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a format-1 state resolved on without migrating', () => {
  it('loses the stored provenance of each golden contact it rewrites, instead of keeping it stale', async () => {
    const store = new MemoryStateStore();
    const resolver = new Resolver(store);
    await resolver.resolve(upsert(company()), { ref: 'p0@0' });
    await resolver.resolve(person(contact({ sourceId: 'c1', lastName: 'Иванов', firstName: 'Иван' })), { ref: 'p0@1' });
    await resolver.flush();
    await addFormat1(store);
    const [id, before] = (await dump(store)).contacts![0]!;
    expect(before).toHaveProperty('provenance');

    const fresh = new Resolver(store); // a new process: the state is read from the store
    await fresh.resolve(
      person(
        contact({ sourceId: 'c1', changedAt: at(5), lastName: 'Иванов', firstName: 'Иван', position: 'Директор' }),
      ),
      { ref: 'p0@2' },
    );
    await fresh.flush();
    const after = await store.get('contacts', id);
    expect(after?.record?.position).toBe('Директор');
    expect(after).not.toHaveProperty('provenance');
  });
});

describe('crm-unify state migrate', () => {
  it('converts a state dir, says so, then reports it current; a running service (the lock) stops it with a clear error', async () => {
    const { cli } = await import('../../test/support/cli.js');
    const dir = await mkdtemp(join(tmpdir(), 'crm-unify-migrate-cli-'));
    try {
      const store = await openLevelStore(dir);
      await resolveDataset(store);
      const written = await addFormat1(store);
      const locked = await cli('state', 'migrate', '--state-dir', dir);
      expect(locked.code).not.toBe(0);
      expect(locked.err).toContain('is locked');
      await store.close();

      const stats = await cli('state', 'stats', '--state-dir', dir);
      expect(stats.out).toContain(
        `format 1   ${written.matchKeys} match-key index entries nothing reads: crm-unify state migrate drops them`,
      );
      const first = await cli('state', 'migrate', '--state-dir', dir, '--json');
      expect(first.code).toBe(0);
      expect(JSON.parse(first.out)).toEqual(written);
      const again = await cli('state', 'migrate', '--state-dir', dir);
      expect(again.out).toContain('(already current)');
      expect((await cli('state', 'stats', '--state-dir', dir)).out).not.toContain('format 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
