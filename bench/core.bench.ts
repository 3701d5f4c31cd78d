/**
 * Measure 1 (core throughput) and measure 8 (dedup precision/recall), DESIGN §10.
 *
 * The seed-scale dataset (`generate(scales.seed, 1)`: Shop A company and contact rows, Shop B dump
 * partners and Kafka events) runs in-process through the real stages of the shared chain —
 * `mapStage` (map → normalize → validate) and `resolveStage` (entity resolution with the Resolver
 * over a LevelDB store in a temp dir), rejects written to the state store — fed by credit-limited
 * pull sources (`fromPullSource`, 2 000 in flight, as the service runs). No external calls: the
 * verify and load stages are left out. Shop A and Shop B run side by side, as `crm-unify run
 * shop-a shop-b` does; Shop B reads its dump, then its events.
 *
 * The inputs are files of JSON lines, one per source, written by a child process (bench/core-inputs.ts)
 * and read line by line as the sources pull: a pulled pipeline holds only its in-flight records,
 * and neither the generator's gigabyte of objects nor the inputs are part of the measured RSS.
 * Reading and the JSON parse are inside the timed part (a real source reads and decodes too). A mapper-only pass over the same inputs is timed
 * first, for the per-stage chart.
 *
 *   npx tsx bench/core.bench.ts            (CORE_FRACTION=0.1 for a quick run on a tenth of the data)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { lastValueFrom, map, tap } from 'rxjs';
import { MemorySource } from '../src/connectors/memory/memory.source.js';
import { mapEnvelope, type Envelope } from '../src/core/envelope.js';
import { fromPullSource } from '../src/core/pull-source.js';
import type { StageHooks } from '../src/core/stage.js';
import { scaleFraction, scales, type Scale, type Truth } from '../src/gen/dataset.js';
import { evaluateDedup, type DedupScore } from '../src/gen/evaluate.js';
import type { CanonicalChange, Outcome } from '../src/model/index.js';
import { mapStage, type Mapper } from '../src/pipeline/stages/map.stage.js';
import { resolveStage } from '../src/pipeline/stages/resolve.stage.js';
import { StateRejectSink } from '../src/pipeline/state-rejects.js';
import { Resolver } from '../src/resolve/resolver.js';
import { openLevelStore } from '../src/state/level-store.js';
import { cacheStats, clearCaches } from '../src/normalize/lru.js';
import { mapShopARow, mapShopBDumpElement, mapShopBMessage } from '../topologies/mappers.js';
import { HeapStateStore } from './heap-store.js';
import { summarize, type ProfileShare } from './profile-summary.js';
import { cpuPerRecord, threadCpu } from './thread-cpu.js';
import { FileLines, inputNames, writeInputsInChild, type InputName } from './core-inputs.js';

export interface CoreFigures {
  /** Share of the seed scale (1 = the full seed-scale data). */
  fraction: number;
  /** Source records: Shop A rows, Shop B dump partners and Kafka events. */
  records: number;
  byInput: Record<string, number>;
  /** Canonical entities the mappers produced: companies, contacts (nested and stand-alone), deletes. */
  entities: number;
  nestedContacts: number;
  seconds: number;
  coreRecordsPerSec: number;
  coreEntitiesPerSec: number;
  mapOnlySeconds: number;
  mapRecordsPerSec: number;
  rejected: number;
  goldenCompanies: number;
  goldenContacts: number;
  peakRssMB: number;
  /** The normalizers' bounded LRUs (phone parses, name casing) over the mapper-only pass. */
  normalizeCache: { hits: number; misses: number; entries: number; hitRate: number };
  /** Main-thread CPU of the staged pass by part of the core (`profile: true`). */
  profile?: ProfileShare[];
  /** CPU µs per source record of the staged pass: the main thread, and every other thread (map thread, LevelDB, libuv, GC helpers). */
  cpuMicrosPerRecord?: { main: number; other: number };
  /** The benchmark's own inputs held in memory (the line offsets of the input files), part of the peak RSS. */
  inputMB: number;
  dedup: DedupScore;
}

/**
 * A CPU profile of the staged pass alone (the data generation, the mapper-only pass and the dedup
 * scoring left out), summarized by part of the core; also written to `file` when given, for
 * chrome://inspect or bench/profile-summary.ts.
 */
async function startProfile(file: string | undefined): Promise<() => Promise<ProfileShare[]>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    if (file) await writeFile(file, JSON.stringify(profile));
    return summarize(profile as Parameters<typeof summarize>[0]);
  };
}

interface Input {
  name: string;
  lines: FileLines;
  /** What the source hands the map stage (a row, a parsed dump element, a message's bytes): decoded on the main thread, as the sources do. */
  raw: (lines: FileLines, i: number) => unknown;
  /** The topology's mapper. */
  mapper: Mapper<unknown>;
}

const shopARow = (table: string) => (l: FileLines, i: number) => ({
  table,
  row: JSON.parse(l.text(i)) as Record<string, unknown>,
});
/** How each input file is read and mapped, by its name in core-inputs.ts. */
const inputs: Record<InputName, Pick<Input, 'raw' | 'mapper'>> = {
  'shop-a.companies': { raw: shopARow('companies'), mapper: mapShopARow as Mapper<unknown> },
  'shop-a.contacts': { raw: shopARow('contacts'), mapper: mapShopARow as Mapper<unknown> },
  'shop-b.dump': {
    raw: (l: FileLines, i: number) => ({ index: i, value: JSON.parse(l.text(i)) as unknown }),
    mapper: mapShopBDumpElement as Mapper<unknown>,
  },
  'shop-b.events': {
    raw: (l: FileLines, i: number) => ({ value: l.bytes(i), tombstone: false }),
    mapper: mapShopBMessage as Mapper<unknown>,
  },
};

const mapOne = (x: Input, i: number) => x.mapper(x.raw(x.lines, i));

export function forceGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function countEntities(out: Outcome<CanonicalChange>): { entities: number; nested: number } {
  if (!out.ok) return { entities: 0, nested: 0 };
  const c = out.value;
  if (c.kind === 'company') return { entities: 1 + c.contacts.length, nested: c.contacts.length };
  return { entities: 1, nested: 0 };
}

export async function benchCore(
  opts: {
    fraction?: number;
    seed?: number;
    scale?: Scale;
    /** Profile the staged pass (the sampling profiler costs a few per cent of the figure). */
    profile?: boolean;
    profileFile?: string;
    /** `heap`: a state store that costs nothing (bench/heap-store.ts), to bound what any state layout could gain. */
    store?: 'level' | 'heap';
    log?: (m: string) => void;
  } = {},
): Promise<CoreFigures> {
  const log = opts.log ?? (() => {});
  const fraction = opts.fraction ?? 1;
  const scale = opts.scale ?? (fraction === 1 ? scales.seed : scaleFraction(fraction));
  log('core: generating the seed-scale dataset (in a child process, into files)');
  const inputDir = await mkdtemp(join(tmpdir(), 'crm-unify-bench-core-inputs-'));
  writeInputsInChild(inputDir, scale, opts.seed ?? 1);
  const all: Input[] = inputNames.map((name) => ({
    name,
    lines: new FileLines(join(inputDir, `${name}.jsonl`)),
    ...inputs[name],
  }));
  const records = all.reduce((n, x) => n + x.lines.length, 0);
  const byInput = Object.fromEntries(all.map((x) => [x.name, x.lines.length]));

  // Mapper-only pass (map → normalize → validate), for the per-stage figure.
  log(`core: mapping ${records} source records (mappers only)`);
  for (const x of all) for (let i = 0; i < Math.min(2000, x.lines.length); i++) mapOne(x, i); // warm-up
  clearCaches(); // each timed pass starts with cold normalizer caches
  let entities = 0;
  let nested = 0;
  const t0 = performance.now();
  for (const x of all) {
    for (let i = 0; i < x.lines.length; i++) {
      const e = countEntities(mapOne(x, i));
      entities += e.entities;
      nested += e.nested;
    }
  }
  const mapOnlySeconds = (performance.now() - t0) / 1000;
  const cs = cacheStats();
  clearCaches();
  forceGc();

  // The real stages: pull source → map → resolve (LevelDB) → ack.
  log('core: map + resolve through the stages with LevelDB');
  const dir = await mkdtemp(join(tmpdir(), 'crm-unify-bench-core-'));
  const store = opts.store === 'heap' ? new HeapStateStore() : await openLevelStore(join(dir, 'state'));
  try {
    const resolver = new Resolver(store);
    const rejects = new StateRejectSink(store);
    let rejected = 0;
    const hooks: StageHooks = {
      rejects: {
        reject: async (env, reason, detail, sourceId) => {
          rejected++;
          await rejects.reject(env, reason, detail, sourceId);
        },
      },
    };
    let peakRss = 0;
    let done = 0;
    const run = async (x: Input) => {
      const source = new MemorySource(
        Array.from({ length: x.lines.length }, (_, i) => i),
        { name: x.name },
      );
      await lastValueFrom(
        fromPullSource(source, { maxInFlight: 2000 }).pipe(
          map((env: Envelope<number>) => mapEnvelope(env, x.raw(x.lines, env.value))),
          mapStage(x.mapper, hooks),
          resolveStage(resolver, hooks, 2000), // as the service runs it: the source's whole credit (build-deps)
          tap((env: Envelope<unknown>) => {
            env.ack();
            if ((++done & 0x3fff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
          }),
        ),
        { defaultValue: undefined },
      );
    };
    const stopProfile = opts.profile ? await startProfile(opts.profileFile) : undefined;
    const cpuBefore = threadCpu();
    const started = performance.now();
    const [aCompanies, aContacts, bDump, bEvents] = all as [Input, Input, Input, Input];
    await Promise.all([
      (async () => {
        await run(aCompanies);
        await run(aContacts);
      })(),
      (async () => {
        await run(bDump);
        await run(bEvents);
      })(),
    ]);
    await resolver.flush();
    const seconds = (performance.now() - started) / 1000;
    const cpuMicrosPerRecord = cpuPerRecord(cpuBefore, threadCpu(), records);
    const profile = await stopProfile?.();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    log('core: scoring dedup against the ground truth');
    const truth = JSON.parse(await readFile(join(inputDir, 'truth.json'), 'utf8')) as Truth;
    const dedup = await evaluateDedup(store, truth, { register: false }); // no register in this run
    return {
      fraction,
      records,
      byInput,
      entities,
      nestedContacts: nested,
      seconds,
      ...(profile ? { profile } : {}),
      coreRecordsPerSec: records / seconds,
      coreEntitiesPerSec: entities / seconds,
      mapOnlySeconds,
      mapRecordsPerSec: records / mapOnlySeconds,
      rejected,
      goldenCompanies: await store.count('companies'),
      goldenContacts: await store.count('contacts'),
      peakRssMB: Math.round(peakRss / 1048576),
      normalizeCache: { ...cs, hitRate: cs.hits / Math.max(1, cs.hits + cs.misses) },
      ...(cpuMicrosPerRecord ? { cpuMicrosPerRecord } : {}),
      inputMB: Math.round(all.reduce((n, x) => n + x.lines.starts.byteLength, 0) / 1048576),
      dedup,
    };
  } finally {
    await store.close();
    for (const x of all) x.lines.close();
    // CORE_KEEP_STATE=1 keeps the LevelDB state for inspection (`crm-unify state … --dir`).
    if (process.env.CORE_KEEP_STATE) log(`core: state kept in ${join(dir, 'state')}`);
    else await rm(dir, { recursive: true, force: true });
    await rm(inputDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // CORE_FRACTION=0.05: a share of the seed scale; CORE_SCALE=small: `gen --scale small`; CORE_SEED=N;
  // CORE_PROFILE=<file>: profile the staged pass into <file>.
  const fraction = process.env.CORE_FRACTION ? Number(process.env.CORE_FRACTION) : undefined;
  const named =
    process.env.CORE_SCALE === 'small' || process.env.CORE_SCALE === 'seed'
      ? scales[process.env.CORE_SCALE]
      : undefined;
  const seed = process.env.CORE_SEED ? Number(process.env.CORE_SEED) : undefined;
  const r = await benchCore({
    ...(fraction === undefined ? {} : { fraction }),
    ...(named ? { scale: named } : {}),
    ...(seed === undefined ? {} : { seed }),
    profile: !!process.env.CORE_PROFILE,
    // CORE_STORE=heap: a store that costs nothing, to bound what any state layout could gain.
    ...(process.env.CORE_STORE === 'heap' ? { store: 'heap' as const } : {}),
    ...(process.env.CORE_PROFILE ? { profileFile: process.env.CORE_PROFILE } : {}),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  console.log(JSON.stringify({ bench: 'core', ...r }));
}
