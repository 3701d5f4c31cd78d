/**
 * `npm run bench`: every DESIGN §10 measure in sequence, one line per measure, then one JSON
 * object as the LAST line. Writes bench/out/last-run.json and rewrites BENCHMARKS.md and
 * bench/throughput.svg from it (bench/report.ts), so the document never drifts from the last run.
 *
 * Sizes (defaults are the documented run; shrink for a quick check):
 *   CORE_FRACTION=1     share of the seed scale for the core measure
 *   DUMP_MB=1024        size of the windows-1251 dump
 *   E2E_FRACTION=0.06   share of the seed scale for the end-to-end run and its replay (≈ 10 000 companies)
 *   SEED_FRACTION=0.001 share of the seed scale for the seed system's approach
 *   RESTORE_FRACTION=0.2 share of the seed scale written through the HA state changelog and restored
 *   BENCH_NO_DOCS=1     do not rewrite BENCHMARKS.md / bench/throughput.svg
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCrm, benchRegistry } from './apis.bench.js';
import { benchCore, type CoreFigures } from './core.bench.js';
import { benchDump } from './dump.bench.js';
import { benchE2e, e2eRates, seedScaleModel } from './e2e.bench.js';
import { writeReport, type BenchRun } from './report.js';
import { benchRestore } from './restore.bench.js';
import { benchSeedApproach } from './seed-approach.js';

/** The register stage on its own, at a DaData-like shape scaled up (the end-to-end run uses a faster register). */
const registryBenchRates = { rate: 200, concurrency: 32, latencyMs: 100 };

const here = dirname(fileURLToPath(import.meta.url));
const num = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const line = (measure: string, figures: Record<string, unknown>) =>
  console.log(`${measure.padEnd(14)} ${JSON.stringify(figures)}`);

const startedAt = new Date();
const t0 = performance.now();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  ramGB: Math.round((totalmem() / 1e9) * 10) / 10,
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  loadAvgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
};

// 1 + 8. Core throughput over the seed-scale data; dedup against the ground truth.
const core = await benchCore({ fraction: num('CORE_FRACTION', 1), profile: true, log });
line('core', {
  records: core.records,
  seconds: r3(core.seconds),
  coreRecordsPerSec: Math.round(core.coreRecordsPerSec),
  coreEntitiesPerSec: Math.round(core.coreEntitiesPerSec),
  mapRecordsPerSec: Math.round(core.mapRecordsPerSec),
});
line('dedup', {
  precision: r3(core.dedup.contacts.precision),
  recall: r3(core.dedup.contacts.recall),
  companies: core.dedup.companies,
});

// 1b. The state store's share, bounded: the same pass over a fifth of the data with LevelDB and with
// a store that costs nothing (values kept as objects), alternated; no state layout can do better.
const ceilingFraction = num('CEILING_FRACTION', 0.2);
const ceilingRuns: Array<CoreFigures & { store: 'level' | 'heap' }> = [];
for (const store of ['level', 'heap', 'level', 'heap'] as const)
  ceilingRuns.push({ store, ...(await benchCore({ fraction: ceilingFraction, store, log })) });
const best = (store: 'level' | 'heap') =>
  ceilingRuns.filter((r) => r.store === store).sort((a, b) => b.coreRecordsPerSec - a.coreRecordsPerSec)[0]!;
const ceiling = {
  fraction: ceilingFraction,
  records: best('level').records,
  level: { recordsPerSec: Math.round(best('level').coreRecordsPerSec), cpu: best('level').cpuMicrosPerRecord },
  heap: { recordsPerSec: Math.round(best('heap').coreRecordsPerSec), cpu: best('heap').cpuMicrosPerRecord },
};
line('ceiling', { level: ceiling.level.recordsPerSec, heap: ceiling.heap.recordsPerSec });

// 2. Peak RSS reading the dump.
const dump = await benchDump({ mb: num('DUMP_MB', 1024) });
line('dump', {
  dumpMB: dump.dumpMB,
  elements: dump.elements,
  dumpPeakRssMB: dump.dumpPeakRssMB,
  heapCappedPeakRssMB: dump.heapCapped.peakRssMB,
  elementsPerSec: dump.dumpElementsPerSec,
});

// 3. Register stage against min(rate, concurrency ÷ latency).
const reg = { ...(await benchRegistry({ ...registryBenchRates, lookups: 1200 })), rates: registryBenchRates };
line('registry', { perSec: r3(reg.registryPerSec), bound: reg.registryBound, vsBound: r3(reg.registryVsBound) });

// 4. The loader alone against rate × 50 commands (how busy it keeps the portal, not how few commands it needs).
const crm = await benchCrm({ rate: e2eRates.portal.rate, burst: e2eRates.portal.burst, companies: 2000 });
line('crm', {
  commandsPerSec: r3(crm.crmCommandsPerSec),
  bound: crm.crmBound,
  vsBound: r3(crm.crmVsBound),
  crm503: crm.crm503,
});

// 5 + 7. End to end on a seed-scale subset, then its replay.
log('end to end');
const e2e = await benchE2e({ fraction: num('E2E_FRACTION', 0.06), log });
line('e2e', {
  records: e2e.run.sourceRecords,
  entities: e2e.run.crmEntities,
  seconds: r3(e2e.run.seconds),
  floorSeconds: r3(e2e.run.floorSeconds),
  vsFloor: r3(e2e.run.vsFloor),
  commandsPerEntity: r3(e2e.run.crmCommandsPerEntity),
  crm503: e2e.run.crm503,
  crm429: e2e.run.crm429,
});
line('e2e-no-bulk', {
  seconds: r3(e2e.withoutBulkImport.seconds),
  vsFloor: r3(e2e.withoutBulkImport.vsFloor),
  commandsPerEntity: r3(e2e.withoutBulkImport.crmCommandsPerEntity),
});
const seedModel = seedScaleModel(e2e);
line('seed-scale', { ...seedModel });
line('replay', {
  seconds: r3(e2e.replay.seconds),
  recordsPerSec: Math.round(e2e.replay.recordsPerSec),
  crmWrites: e2e.replay.crmWrites,
  registryRequests: e2e.replay.registryRequests,
});

// 6. The seed system's approach, extrapolated linearly to the end-to-end subset.
log('seed approach');
const seed = await benchSeedApproach({ fraction: num('SEED_FRACTION', 0.001) });
const seedExtrapolatedSeconds = seed.seconds * (e2e.run.sourceRecords / seed.sourceRecords);
const speedup = seedExtrapolatedSeconds / e2e.run.seconds;
line('seed-approach', {
  records: seed.sourceRecords,
  seconds: r3(seed.seconds),
  recordsPerSec: r3(seed.recordsPerSec),
  extrapolatedSeconds: Math.round(seedExtrapolatedSeconds),
  speedup: r3(speedup),
});

// 9. High availability: writes through the state changelog, restore and verify from it (a broker of its own).
log('restore');
const restore = await benchRestore({ fraction: num('RESTORE_FRACTION', 0.2), log });
line('restore', {
  companiesPerSec: restore.companiesPerSec,
  messagesPerSec: restore.messagesPerSec,
  writeChangesPerSec: restore.writeChangesPerSec,
  baselineChangesPerSec: restore.baselineChangesPerSec,
});

const run: BenchRun = {
  startedAt: startedAt.toISOString(),
  totalSeconds: (performance.now() - t0) / 1000,
  machine,
  core,
  ceiling,
  dump,
  registry: reg,
  crm,
  e2e,
  seedModel,
  restore,
  seed: { ...seed, extrapolatedSeconds: seedExtrapolatedSeconds },
  summary: {
    coreRecordsPerSec: Math.round(core.coreRecordsPerSec),
    coreEntitiesPerSec: Math.round(core.coreEntitiesPerSec),
    mapRecordsPerSec: Math.round(core.mapRecordsPerSec),
    dumpPeakRssMB: dump.dumpPeakRssMB,
    dumpPeakRssMBHeapCapped: dump.heapCapped.peakRssMB,
    registryVsBound: r3(reg.registryVsBound),
    crmCommandsPerEntity: r3(e2e.run.crmCommandsPerEntity),
    crmCommandsPerEntityWithoutBulkImport: r3(e2e.withoutBulkImport.crmCommandsPerEntity),
    e2eSeconds: r3(e2e.run.seconds),
    e2eFloorSeconds: r3(e2e.run.floorSeconds),
    e2eVsFloor: r3(e2e.run.vsFloor),
    crm503: crm.crm503 + e2e.run.crm503 + e2e.withoutBulkImport.crm503,
    crm429: e2e.run.crm429 + e2e.withoutBulkImport.crm429,
    seedScaleHours: seedModel.hours,
    seedScaleHoursWithoutBulkImport: seedModel.hoursWithoutBulkImport,
    speedupVsSeedApproach: r3(speedup),
    replayCrmWrites: e2e.replay.crmWrites,
    replayRecordsPerSec: Math.round(e2e.replay.recordsPerSec),
    dedupPrecision: r3(core.dedup.contacts.precision),
    dedupRecall: r3(core.dedup.contacts.recall),
    restoreCompaniesPerSec: restore.companiesPerSec,
  },
};
const outDir = join(here, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'last-run.json'), `${JSON.stringify(run, null, 2)}\n`);
if (!process.env.BENCH_NO_DOCS)
  writeReport(run, { markdown: join(here, '..', 'BENCHMARKS.md'), svg: join(here, 'throughput.svg') });
log(`done in ${Math.round(run.totalSeconds)} s; bench/out/last-run.json written`);
console.log(JSON.stringify(run.summary));
