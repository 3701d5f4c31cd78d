/**
 * Resolution throughput with LevelDB: N generated source records (default 1 000 000) of both
 * stores, resolved through the Resolver into a fresh state dir in a temp directory. Prints one
 * JSON line. N from the first argument or BENCH_RECORDS; in-flight window from BENCH_WINDOW, cache
 * entries from BENCH_CACHE.
 *
 *   npx tsx bench/resolve.bench.ts 200000
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CanonicalChange, Contact, Phone } from '../src/model/index.js';
import { Resolver } from '../src/resolve/resolver.js';
import { openLevelStore } from '../src/state/level-store.js';
import { seededRandom as prng } from '../src/core/random.js';

export interface ResolveBenchResult {
  bench: 'resolve';
  records: number;
  changes: number;
  seconds: number;
  recordsPerSec: number;
  bytesOnDisk: number;
  goldenCompanies: number;
  goldenContacts: number;
  cacheHitRate: number;
  cacheEntries: number;
  peakRssMb: number;
  heapUsedMb: number;
}

const lastNames = [
  'Иванов',
  'Петров',
  'Сидоров',
  'Смирнов',
  'Кузнецов',
  'Попов',
  'Васильев',
  'Соколов',
  'Михайлов',
  'Фёдоров',
];
const firstNames = ['Иван', 'Пётр', 'Анна', 'Мария', 'Олег', 'Елена', 'Сергей', 'Ольга', 'Дмитрий', 'Татьяна'];

/**
 * Source records of both stores at roughly the seed's shape: companies shared across stores by
 * INN (about 1 in 5 records is a company), contacts as people of a company (a few per company)
 * that each source shows partly (name, e-mail, phone), so resolution merges, bridges and parks.
 */
export function* generateChanges(records: number, seed = 42): Generator<{ change: CanonicalChange; records: number }> {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const innPool = Math.max(10, Math.floor(records * 0.12));
  const innOf = (i: number) => String(7_700_000_000 + i);
  const shopAInn: number[] = [];
  let made = 0;
  let t = Date.parse('2023-01-01T00:00:00Z');
  const personOf = (
    inn: number,
    slot: number,
    source: string,
    sourceId: string,
    company: Contact['company'],
  ): Contact => {
    const h = (inn * 31 + slot) >>> 0;
    const show = 1 + int(7); // non-empty subset of {name, e-mail, phone}
    const phones: Phone[] =
      show & 4 ? [{ e164: `+7916${String(h % 10_000_000).padStart(7, '0')}`, type: 'MOBILE' }] : [];
    return {
      source,
      sourceId,
      changedAt: new Date((t += 1000)).toISOString(),
      company,
      phones,
      emails: show & 2 ? [`p${h}@c${inn}.ru`] : [],
      ...(show & 1 ? { lastName: lastNames[h % 10]!, firstName: firstNames[(h >> 3) % 10]! } : {}),
    };
  };
  const company = (inn: number, source: string, sourceId: string) => ({
    source,
    sourceId,
    changedAt: new Date((t += 1000)).toISOString(),
    kind: 'ORG' as const,
    name: `ООО "Компания ${inn}"`,
    address: `г. Москва, ул. ${inn % 997}, д. ${inn % 31}`,
    phones: [{ e164: `+7495${String(inn % 10_000_000).padStart(7, '0')}`, type: 'FIXED_LINE' }],
    emails: [`info@c${inn}.ru`],
    requisite: { inn: innOf(inn), kpp: `7736${String(1 + int(3)).padStart(2, '0')}001` },
    bankAccounts: [{ bik: '044525225', account: `40702810${String(inn).padStart(12, '0')}` }],
    blocked: false,
  });
  while (made < records) {
    const r = rnd();
    if (r < 0.2) {
      const inn = int(innPool);
      const id = shopAInn.push(inn) - 1;
      made += 1;
      yield { change: { kind: 'company', company: company(inn, 'shop-a', String(id)), contacts: [] }, records: 1 };
    } else if (r < 0.55 && shopAInn.length) {
      // Mostly a known company row; a few name one not read yet (parked until it comes).
      const ahead = rnd() < 0.02;
      const companyId = ahead ? shopAInn.length + int(50) : int(shopAInn.length);
      const inn = shopAInn[companyId] ?? 0;
      made += 1;
      yield {
        change: {
          kind: 'contact',
          contact: personOf(inn, int(4), 'shop-a', `c${made}`, { source: 'shop-a', sourceId: String(companyId) }),
        },
        records: 1,
      };
    } else {
      const inn = int(innPool);
      const pid = `P${inn}`;
      const k = int(5);
      const contacts = Array.from({ length: k }, (_, j) => personOf(inn, j, 'shop-b', `${pid}/C-${j}`, null));
      made += 1 + k;
      yield { change: { kind: 'company', company: company(inn, 'shop-b', pid), contacts }, records: 1 + k };
    }
  }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

/** Runs the benchmark; keeps `window` changes in flight, as the pipeline's credits would. */
export async function measureResolve(
  records: number,
  options: { window?: number; dir?: string; cacheEntries?: number } = {},
): Promise<ResolveBenchResult> {
  const window = options.window ?? 2000;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'crm-unify-bench-')));
  const store = await openLevelStore(join(dir, 'state'));
  const resolver = new Resolver(
    store,
    options.cacheEntries === undefined ? {} : { cacheEntries: options.cacheEntries },
  );
  let peakRss = 0;
  let changes = 0;
  let total = 0;
  const started = process.hrtime.bigint();
  // A counting semaphore (Promise.race over the window would cost O(window) per record).
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let failure: unknown = null;
  for (const { change, records: n } of generateChanges(records)) {
    inFlight++;
    resolver
      .resolve(change, {
        ref: `p0@${changes}`,
        commit: { source: 'bench', partition: '0', resume: String(changes) },
      })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        inFlight--;
        wake?.();
      });
    changes++;
    total += n;
    while (inFlight >= window) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
    if ((changes & 0x3fff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  if (failure) throw failure;
  await resolver.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const goldenCompanies = await store.count('companies');
  const goldenContacts = await store.count('contacts');
  const cache = resolver.cacheStats();
  const heapUsed = process.memoryUsage().heapUsed;
  await store.close();
  const bytesOnDisk = await dirBytes(join(dir, 'state'));
  if (!options.dir) await rm(dir, { recursive: true, force: true });
  return {
    bench: 'resolve',
    records: total,
    changes,
    seconds: Math.round(seconds * 100) / 100,
    recordsPerSec: Math.round(total / seconds),
    bytesOnDisk,
    goldenCompanies,
    goldenContacts,
    cacheHitRate: Math.round((cache.hits / Math.max(1, cache.hits + cache.misses)) * 1000) / 1000,
    cacheEntries: cache.entries,
    peakRssMb: Math.round(peakRss / 1048576),
    heapUsedMb: Math.round(heapUsed / 1048576),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? process.env.BENCH_RECORDS ?? 1_000_000);
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const window = env('BENCH_WINDOW');
  const cacheEntries = env('BENCH_CACHE');
  const result = await measureResolve(n, {
    ...(window === undefined ? {} : { window }),
    ...(cacheEntries === undefined ? {} : { cacheEntries }),
  });
  console.log(JSON.stringify(result));
}
