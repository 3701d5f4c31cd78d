// Shared pieces of the fuzz suites: fixed seeds, good records from the generator, hostile values,
// and a way to push raw records through the real map stage (with its `onError: 'reject'` policy)
// and see what each one became.
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { expect } from 'vitest';
import type { Envelope } from '../../src/core/envelope.js';
import type { RejectSink } from '../../src/core/rejects.js';
import { generate, scales } from '../../src/gen/dataset.js';
import type { ShopBPartner } from '../../src/gen/stores.js';
import { decodeShopBEvent } from '../../src/mappers/index.js';
import type { CanonicalChange, Outcome, RejectReason } from '../../src/model/index.js';
import { rejectReasons } from '../../src/model/reject-reasons.js';
import { mapStage, type Mapper } from '../../src/pipeline/stages/map.stage.js';

/** One seed for every property, so a failure reproduces; override with FUZZ_SEED to explore. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20_251_104);
/** Scales the number of runs of every property (FUZZ_SCALE=10 for a long session). */
export const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
export const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

/** Good records of both stores, as the generator makes them (realistic dirt, some invalid INNs). */
export const dataset = generate(scales.small, 7);
export const goodPartners: ShopBPartner[] = dataset.shopB.dump.slice(0, 60);
export const goodEvents: string[] = dataset.shopB.events
  .map((e) => e.value)
  .filter((v) => decodeShopBEvent(v).ok)
  .slice(0, 60);
export const goodCompanyRows = dataset.shopA.companies.slice(0, 60);
export const goodContactRows = dataset.shopA.contacts.slice(0, 60);

export const MB = 1 << 20;

/** `depth` nested arrays (`[[[…1…]]]`) or objects (`{"a":{"a":…}}`), as JSON text. */
export function deepJson(depth: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Strings people and systems put where they should not: control characters, quotes, SQL, mojibake, U+FFFD. */
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uFFFD',
    '\uE098',
    '\uD800',
    'null',
    'undefined',
    'NaN',
    '__proto__',
    'constructor',
    "'; DROP TABLE companies; --",
    '\\',
    '"',
    '\r\n',
    '\u202E',
    'РћРћРћ В«Р РѕРјР°С€РєР°В»',
    'ООО «Ромашка»',
    '7707083893',
    '0000000000',
    '+7 (495) 123-45-67',
    'a@b',
    '@@@',
    '<script>',
    '${jndi:x}',
    '%s%n',
    '9'.repeat(40),
  ),
);

/** Any value of any type, including the ones JSON cannot hold (for rows a driver "could" return). */
export const anyValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withSparseArray: true,
      withMap: true,
      withSet: true,
    }),
  },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      null,
      undefined,
      0,
      -1,
      1e308,
      Number.NaN,
      Infinity,
      true,
      false,
      [],
      {},
      new Date(Number.NaN),
      Symbol('s'),
      () => 1,
    ),
  },
);

/** Values JSON can hold, for wrong-type fields of JSON inputs. */
export const anyJson = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 0, -1, 1e308, true, false, [], {}, [null], { partnerId: 1 }) },
);

/** Every path to a value inside a JSON-like value (objects and arrays), the root excluded. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
  return out;
}

/** A copy of `value` with the thing at `path` replaced (or deleted when `replacement` is DELETE). */
export const DELETE = Symbol('delete');
export function withAt<T>(value: T, path: (string | number)[], replacement: unknown): T {
  const copy = structuredClone(value) as unknown;
  let parent = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy as T;
}

/** One field anywhere in a good record replaced by a value of another type, or removed. */
export function mutated<T>(
  goods: readonly T[],
  replacement: fc.Arbitrary<unknown>,
): fc.Arbitrary<{ original: T; path: (string | number)[]; value: T }> {
  return fc
    .tuple(
      fc.constantFrom(...goods),
      fc.nat(),
      fc.oneof({ weight: 4, arbitrary: replacement }, { weight: 1, arbitrary: fc.constant<unknown>(DELETE) }),
    )
    .map(([original, n, rep]) => {
      const paths = pathsOf(original);
      const path = paths[n % paths.length]!;
      return { original, path, value: withAt(original, path, rep) };
    });
}

const closed = new Set<string>(rejectReasons);

/** A reject is well formed: a reason from the closed list and a detail that says something (and is not the whole input). */
export function expectWellFormedReject(out: Outcome<unknown>, allowed: readonly RejectReason[] = rejectReasons): void {
  if (out.ok) return;
  expect(closed.has(out.reason), `reason ${out.reason}`).toBe(true);
  expect(allowed, `reason ${out.reason} for this input`).toContain(out.reason);
  expect(typeof out.detail).toBe('string');
  expect(out.detail.length).toBeGreaterThan(0);
}

export type Settled =
  | { index: number; ok: true; value: CanonicalChange }
  | { index: number; ok: false; reason: RejectReason; detail: string; sourceId: string | null };

/**
 * Runs raw records through the real map stage (the pipeline's `onError: 'reject'` policy) with an
 * in-memory reject sink, and returns what each became, by input index. Every envelope must be
 * settled exactly once: emitted downstream (then acked here) or rejected and acked by the stage.
 */
export async function throughMapStage<Raw>(mapper: Mapper<Raw>, raws: readonly Raw[]): Promise<Settled[]> {
  const settled: Settled[] = [];
  const acks = new Map<number, number>();
  const rejects: RejectSink = {
    reject: async (env, reason, detail, sourceId) => {
      settled.push({ index: Number(env.position.offset), ok: false, reason, detail, sourceId: sourceId ?? null });
    },
  };
  const envs: Envelope<Raw>[] = raws.map((value, i) => ({
    value,
    position: { partition: 'fuzz', offset: BigInt(i) },
    source: 'fuzz',
    ack: () => void acks.set(i, (acks.get(i) ?? 0) + 1),
    nack: () => {
      throw new Error(`record ${i} nacked: the map stage must never nack`);
    },
  }));
  const out = await lastValueFrom(from(envs).pipe(mapStage(mapper, { rejects }), toArray()));
  for (const env of out) {
    settled.push({ index: Number(env.position.offset), ok: true, value: env.value });
    env.ack();
  }
  settled.sort((a, b) => a.index - b.index);
  expect(settled.map((s) => s.index)).toEqual(raws.map((_, i) => i));
  for (let i = 0; i < raws.length; i++) expect(acks.get(i), `acks of record ${i}`).toBe(1);
  return settled;
}

/** What a mapper returns for one record alone, in the form `throughMapStage` reports it. */
export function alone<Raw>(
  mapper: Mapper<Raw>,
  raw: Raw,
): { ok: true; value: CanonicalChange } | { ok: false; reason: RejectReason } {
  const out = mapper(raw);
  return out.ok ? { ok: true, value: out.value } : { ok: false, reason: out.reason };
}

/** A tally of inputs tried per target, printed once per file for RELIABILITY.md. */
export class Tally {
  private readonly counts = new Map<string, { tried: number; rejected: number; accepted: number; threw: number }>();
  add(target: string, outcome: 'rejected' | 'accepted' | 'threw'): void {
    const c = this.counts.get(target) ?? { tried: 0, rejected: 0, accepted: 0, threw: 0 };
    c.tried++;
    c[outcome]++;
    this.counts.set(target, c);
  }
  get(target: string): number {
    return this.counts.get(target)?.tried ?? 0;
  }
  report(file: string): string {
    const lines = [...this.counts].map(
      ([t, c]) =>
        `  ${t}: ${c.tried} inputs (accepted ${c.accepted}, rejected ${c.rejected}, threw→stage reject ${c.threw})`,
    );
    return `[fuzz] ${file} seed=${SEED}\n${lines.join('\n')}`;
  }
}
