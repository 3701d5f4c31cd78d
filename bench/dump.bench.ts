/**
 * Measure 2: peak RSS while a windows-1251 JSON dump of DUMP_MB MiB (default 1024) streams through
 * the dump source (credit-limited pull, every element acked). The file is written by streaming
 * (bench/sources.bench.ts `writeDump`); the reading runs in a fresh child process that does
 * nothing else (`readDumpInChild`), and its peak is the kernel's high-water mark of the child's own
 * address space (VmHWM), so no sampling gap can hide a spike and this process' memory does not
 * count (getrusage's maxRSS would: Linux carries it over fork + exec). It is read twice: with
 * Node's default flags (as `crm-unify` runs today) and with the old generation capped, which
 * tells garbage V8 has not bothered to collect (a large default heap limit) from a live set that
 * grows (a leak would fail under the cap).
 *
 *   DUMP_MB=64 npx tsx bench/dump.bench.ts
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readDumpInChild, writeDump } from './sources.bench.js';

export interface DumpFigures {
  dumpMB: number;
  elements: number;
  dumpPeakRssMB: number;
  dumpElementsPerSec: number;
  dumpMBPerSec: number;
  /** The same read with the old generation capped (HEAP_CAP_FLAGS): what the live set needs. */
  heapCapped: { flags: string[]; peakRssMB: number; elementsPerSec: number };
}

/** The cap the heap-capped read runs with: far below the default (a quarter of RAM, up to 4 GB). */
export const HEAP_CAP_FLAGS = ['--max-old-space-size=128'];

export async function benchDump(opts: { mb?: number } = {}): Promise<DumpFigures> {
  const mb = opts.mb ?? Number(process.env.DUMP_MB ?? 1024);
  const dir = mkdtempSync(join(tmpdir(), 'crm-unify-bench-dump-'));
  try {
    const path = join(dir, 'partners.json');
    await writeDump(path, mb);
    const size = statSync(path).size;
    const t0 = performance.now();
    const r = readDumpInChild(path);
    const seconds = (performance.now() - t0) / 1000;
    const capped = readDumpInChild(path, HEAP_CAP_FLAGS);
    return {
      dumpMB: Math.round(size / 1048576),
      elements: r.records,
      dumpPeakRssMB: r.peakRssMB,
      dumpElementsPerSec: r.perSec,
      dumpMBPerSec: size / 1048576 / seconds,
      heapCapped: { flags: HEAP_CAP_FLAGS, peakRssMB: capped.peakRssMB, elementsPerSec: capped.perSec },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify({ bench: 'dump', ...(await benchDump()) }));
}
