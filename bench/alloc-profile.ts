/**
 * Where the core allocates: V8's sampling heap profiler (objects collected by minor and major GCs
 * included) over the core benchmark's staged pass, summed by the file that allocated. Prints the
 * bytes allocated per source record and the top files.
 *
 *   CORE_FRACTION=0.1 node --max-semi-space-size=64 --import tsx bench/alloc-profile.ts
 */
import { Session } from 'node:inspector/promises';
import { benchCore } from './core.bench.js';

interface ProfileNode {
  callFrame: { url: string };
  selfSize: number;
  children: ProfileNode[];
}

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 16_384,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
} as never);
const core = await benchCore({ fraction: Number(process.env.CORE_FRACTION ?? 0.1) });
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };

// A frame without a URL (a builtin: JSON, sort, Map) counts for the nearest caller that has one.
const byFile = new Map<string, number>();
let total = 0;
const walk = (n: ProfileNode, owner: string): void => {
  const url = n.callFrame.url.replace(/^.*?\/(node_modules\/[^/]+|src|bench|topologies)\//, '$1/');
  const file = url
    ? url
        .split('/')
        .slice(0, url.startsWith('node_modules') ? 2 : undefined)
        .join('/')
    : owner;
  byFile.set(file, (byFile.get(file) ?? 0) + n.selfSize);
  total += n.selfSize;
  for (const c of n.children) walk(c, file);
};
walk(profile.head, '(root)');
console.log(`${core.records} records, ${(total / core.records / 1024).toFixed(1)} KB allocated per record`);
for (const [file, bytes] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${file}`);
