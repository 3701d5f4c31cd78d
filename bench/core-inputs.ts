/**
 * The core benchmark's inputs as files: one JSON line per source record and input, and the ground
 * truth. Written by a child process (`writeInputsInChild`), so the generator's objects (about a
 * gigabyte of heap at seed scale) never live in the measured process: a real source reads its
 * records from a file or socket too, and the core's peak RSS is the core's own.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generate, type Scale } from '../src/gen/dataset.js';

export const inputNames = ['shop-a.companies', 'shop-a.contacts', 'shop-b.dump', 'shop-b.events'] as const;
export type InputName = (typeof inputNames)[number];

function writeLines(path: string, items: Iterable<string>): number {
  const parts: string[] = [];
  for (const s of items) {
    if (s.includes('\n')) throw new Error(`${path}: a record spans lines`);
    parts.push(s);
  }
  writeFileSync(path, parts.length ? `${parts.join('\n')}\n` : '');
  return parts.length;
}

/** Generates the dataset and writes `<dir>/<input>.jsonl` and `<dir>/truth.json` (in the child). */
export function writeInputs(dir: string, scale: Scale, seed: number): void {
  const ds = generate(scale, seed);
  writeLines(
    join(dir, 'shop-a.companies.jsonl'),
    ds.shopA.companies.map((r) => JSON.stringify(r)),
  );
  writeLines(
    join(dir, 'shop-a.contacts.jsonl'),
    ds.shopA.contacts.map((r) => JSON.stringify(r)),
  );
  writeLines(
    join(dir, 'shop-b.dump.jsonl'),
    ds.shopB.dump.map((p) => JSON.stringify(p)),
  );
  writeLines(
    join(dir, 'shop-b.events.jsonl'),
    ds.shopB.events.map((e) => e.value),
  );
  writeFileSync(join(dir, 'truth.json'), JSON.stringify(ds.truth));
}

/** Runs `writeInputs` in a child process and waits for it. */
export function writeInputsInChild(dir: string, scale: Scale, seed: number): void {
  // This process's own flags: tsx's loader, whichever way it was started (npm script, npx tsx).
  execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), dir, JSON.stringify(scale), String(seed)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** The lines of one input file: offsets in memory, each line read from the file when asked for. */
export class FileLines {
  private readonly fd: number;
  readonly starts: Float64Array;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const starts: number[] = [0];
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ;) {
      const n = readSync(this.fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      for (let i = chunk.indexOf(10); i >= 0 && i < n; i = chunk.indexOf(10, i + 1)) starts.push(pos + i + 1);
      pos += n;
    }
    this.starts = Float64Array.from(starts);
  }

  get length(): number {
    return this.starts.length - 1;
  }

  /** The record's bytes (without the newline), in a buffer of its own. */
  bytes(i: number): Buffer {
    const start = this.starts[i]!;
    const buf = Buffer.allocUnsafe(this.starts[i + 1]! - 1 - start);
    readSync(this.fd, buf, 0, buf.length, start);
    return buf;
  }

  text(i: number): string {
    return this.bytes(i).toString('utf8');
  }

  close(): void {
    closeSync(this.fd);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, scale, seed] = process.argv.slice(2) as [string, string, string];
  writeInputs(dir, JSON.parse(scale) as Scale, Number(seed));
}
