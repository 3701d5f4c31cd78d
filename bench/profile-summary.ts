/**
 * Shares of a CPU profile by part of the system: each sample goes to the first frame on its stack
 * (from the top) that belongs to a known part, so time in a builtin (JSON.stringify, a sort, a
 * hash) counts for the code that called it. For the before/after profile of the core stages:
 *
 *   CORE_PROFILE=/tmp/core.cpuprofile CORE_FRACTION=0.1 node --max-semi-space-size=64 --import tsx bench/core.bench.ts
 *   node --import tsx bench/profile-summary.ts /tmp/core.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Parts of the core, first match wins (order matters: the state store before the rest of src/). */
const parts: Array<[string, RegExp]> = [
  ['state store (LevelDB, JSON encoding)', /abstract-level|classic-level|level-transcoder|module-error|src\/state\//],
  ['resolution (src/resolve)', /src\/resolve\//],
  [
    'mapping (mappers, normalize, identifiers)',
    /src\/mappers\/|src\/normalize\/|src\/identifiers\/|libphonenumber|zod|iconv-lite/,
  ],
  ['stages, credits, acks (RxJS, src/core, src/pipeline)', /rxjs|src\/core\/|src\/pipeline\/|src\/connectors\//],
  ['benchmark input parsing', /\/bench\//],
];

export interface ProfileShare {
  part: string;
  /** Of all samples of the profile (main thread). */
  share: number;
  ms: number;
}

export function summarize(profile: Profile): ProfileShare[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = partOf.get(id);
    if (known) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    let part: string | undefined;
    if (functionName === '(garbage collector)') part = 'garbage collector (main thread)';
    else if (functionName === '(idle)') part = 'idle (waiting for I/O)';
    else part = parts.find(([, re]) => re.test(url))?.[0];
    if (!part) {
      const up = parent.get(id);
      part = up === undefined ? 'other (Node internals, program)' : classify(up);
    }
    partOf.set(id, part);
    return part;
  };
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    const part = classify(id);
    totals.set(part, (totals.get(part) ?? 0) + dt);
  });
  return [...totals].sort((a, b) => b[1] - a[1]).map(([part, us]) => ({ part, share: us / all, ms: us / 1000 }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of process.argv.slice(2)) {
    console.log(file);
    for (const r of summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile)) {
      console.log(`  ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.part}`);
    }
  }
}
