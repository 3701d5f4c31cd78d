/**
 * The "must not change" check of the core-throughput work: resolves the seed-scale dataset (or a
 * fraction of it) strictly in order through the Resolver into a fresh LevelDB state, then digests
 * what the StateStore API returns — per golden company and contact: status, record, content hash,
 * contributions, contact ids, delivery; every link, pending marker and reject. Two checkouts
 * give the same digest exactly when their golden records, hashes and dedup results agree.
 *
 * ROOT selects whose code runs (default: this checkout), so one script compares two commits:
 *   git worktree add /tmp/before <commit>
 *   ROOT=/tmp/before DIGEST_FRACTION=0.25 node --import tsx bench/state-digest.ts > before.json
 *   DIGEST_FRACTION=0.25 node --import tsx bench/state-digest.ts > after.json
 *   diff before.json after.json
 *
 * Only the fields both formats store are digested (format 1 also kept provenance and a match-key
 * index, which format 2 rebuilds or drops).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scaleFraction } from '../src/gen/dataset.js';

const root = resolve(process.env.ROOT ?? join(import.meta.dirname, '..'));
const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(root, path)).href)) as T;

type Outcome = { ok: true; value: unknown } | { ok: false };
interface Store {
  iterate(ns: string): AsyncIterable<[string, Record<string, unknown>]>;
  close(): Promise<void>;
}

const { generate } = await load<typeof import('../src/gen/dataset.js')>('src/gen/dataset.ts');
const mappers = await load<Record<string, (x: unknown) => Outcome>>('src/mappers/index.ts');
const { Resolver } = await load<{
  Resolver: new (s: Store, o: object) => { resolve(c: unknown, p: object): Promise<unknown>; flush(): Promise<void> };
}>('src/resolve/resolver.ts');
const { openLevelStore } = await load<{ openLevelStore(dir: string): Promise<Store> }>('src/state/level-store.ts');

const fraction = Number(process.env.DIGEST_FRACTION ?? 1);
// The scale from this checkout (the digest compares two checkouts on one input), the data from ROOT's generator.
const ds = generate(scaleFraction(fraction), 1);
const outcomes: Outcome[] = [
  ...ds.shopA.companies.map((r) => mappers.mapShopACompany!(r)),
  ...ds.shopA.contacts.map((r) => mappers.mapShopAContact!(r)),
  ...ds.shopB.dump.map((p) => mappers.mapPartner!(p)),
  ...ds.shopB.events.map((e) => {
    const ev = mappers.decodeShopBEvent!(e.value) as Outcome;
    return ev.ok ? mappers.mapShopBEvent!(ev.value) : ev;
  }),
];

const dir = await mkdtemp(join(tmpdir(), 'crm-unify-digest-'));
const store = await openLevelStore(join(dir, 'state'));
const resolver = new Resolver(store, { now: () => new Date('2026-01-01T00:00:00Z') });
const started = performance.now();
let n = 0;
for (const o of outcomes) if (o.ok) await resolver.resolve(o.value, { ref: `0@${n++}` }); // in order: golden contact ids follow arrival order
await resolver.flush();

const pick = (v: Record<string, unknown>, fields: string[]) => Object.fromEntries(fields.map((f) => [f, v[f] ?? null]));
const digest: Record<string, { entries: number; sha256: string }> = {};
const fields: Record<string, string[] | null> = {
  companies: ['inn', 'status', 'record', 'contributions', 'contactIds', 'nextContactSeq', 'hash', 'delivery', 'synced'],
  contacts: [
    'id',
    'inn',
    'seq',
    'status',
    'mergedInto',
    'mergedFrom',
    'record',
    'contributions',
    'keys',
    'hash',
    'delivery',
    'synced',
  ],
  links: null,
  pending: null,
  rejects: null,
  rejectsByReason: null,
  positions: null,
};
for (const [ns, f] of Object.entries(fields)) {
  const h = createHash('sha256');
  let entries = 0;
  for await (const [k, v] of store.iterate(ns)) {
    h.update(`${k}\u0000${JSON.stringify(f ? pick(v, f) : v)}\n`);
    entries++;
  }
  digest[ns] = { entries, sha256: h.digest('hex') };
}
await store.close();
await rm(dir, { recursive: true, force: true });
process.stderr.write(
  `resolved ${n} changes in ${((performance.now() - started) / 1000).toFixed(1)} s (code from ${root})\n`,
);
console.log(JSON.stringify({ fraction, changes: n, digest }, null, 1));
