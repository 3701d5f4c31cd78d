import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import type { GeneratedCrmSeed } from './crm-seed.js';
import type { Dataset } from './dataset.js';
import { companyColumns, contactColumns, shopASchema } from './shop-a-schema.js';

export const datasetFiles = {
  shopASql: 'shop-a.sql',
  shopBDump: 'shop-b.json',
  shopBEvents: 'shop-b.events.jsonl',
  registry: 'registry.json',
  truth: 'truth.json',
} as const;

/** People's records for `crm-unify sandbox --crm-seed`, and which seeded company is what (twin, mistyped INN). */
export const crmSeedFiles = { crmSeed: 'crm-seed.json', crmSeedRoles: 'crm-seed.roles.json' } as const;

async function writeLines(
  path: string,
  lines: Iterable<string>,
  encode: (s: string) => Buffer | string = (s) => s,
): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(encode(line))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function sqlValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function* sqlDump(ds: Dataset): Generator<string> {
  yield 'SET NAMES utf8mb4;\n';
  for (const ddl of shopASchema) yield `${ddl};\n`;
  const tables = [
    ['companies', companyColumns, ds.shopA.companies],
    ['contacts', contactColumns, ds.shopA.contacts],
  ] as const;
  for (const [table, cols, rows] of tables) {
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map((r) => `(${cols.map((c) => sqlValue((r as unknown as Record<string, unknown>)[c])).join(',')})`);
      yield `INSERT INTO ${table} (${cols.join(',')}) VALUES\n${values.join(',\n')};\n`;
    }
  }
}

function* jsonArray(items: unknown[]): Generator<string> {
  yield '[\n';
  for (let i = 0; i < items.length; i++) yield `${i ? ',\n' : ''}${JSON.stringify(items[i])}`;
  yield '\n]\n';
}

/** Writes the dataset: SQL for MySQL, a windows-1251 dump and Kafka events for Shop B, the register and the truth. */
export async function writeDataset(ds: Dataset, dir: string): Promise<Record<keyof typeof datasetFiles, string>> {
  await mkdir(dir, { recursive: true });
  const paths = Object.fromEntries(Object.entries(datasetFiles).map(([k, f]) => [k, join(dir, f)])) as Record<
    keyof typeof datasetFiles,
    string
  >;
  await writeLines(paths.shopASql, sqlDump(ds));
  await writeLines(paths.shopBDump, jsonArray(ds.shopB.dump), (s) => iconv.encode(s, 'win1251'));
  await writeLines(
    paths.shopBEvents,
    ds.shopB.events.map((e) => `${JSON.stringify(e)}\n`),
  );
  await writeFile(paths.registry, JSON.stringify(ds.registry));
  await writeFile(paths.truth, JSON.stringify(ds.truth));
  return paths;
}

/** Writes a CRM seed next to the dataset: the seed file the sandbox reads, and its roles for checking a run. */
export async function writeCrmSeed(
  seed: GeneratedCrmSeed,
  dir: string,
): Promise<Record<keyof typeof crmSeedFiles, string>> {
  await mkdir(dir, { recursive: true });
  const paths = { crmSeed: join(dir, crmSeedFiles.crmSeed), crmSeedRoles: join(dir, crmSeedFiles.crmSeedRoles) };
  await writeFile(paths.crmSeed, `${JSON.stringify(seed.seed, null, 1)}\n`);
  await writeFile(paths.crmSeedRoles, JSON.stringify({ counts: seed.counts, roles: seed.roles }));
  return paths;
}
