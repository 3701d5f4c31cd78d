import type { z } from 'zod';

/**
 * Unknown keys of a config, found by walking the input beside the schema's own object shapes, so
 * a key added to any schema is known at once and a typo (`crm.rat`) is an error rather than a
 * silent fall-back to the default. Objects that allow extra keys (a catchall) are left alone.
 * Each finding carries the closest known keys, as `rpk connect lint` suggests them.
 */
export interface UnknownKey {
  path: string[];
  key: string;
  suggestions: string[];
  known: string[];
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Strips wrappers that do not change which keys an object takes (optional, default, pipe…). */
function unwrap(schema: z.ZodType): z.ZodType {
  for (let s = schema, i = 0; i < 20; i++) {
    const def = defOf(s);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return s;
    s = next;
  }
  return schema;
}

export function findUnknownKeys(schema: z.ZodType, input: unknown, path: string[] = []): UnknownKey[] {
  const s = unwrap(schema);
  const def = defOf(s);
  if (def.type === 'array' && def.element && Array.isArray(input)) {
    return input.flatMap((v, i) => findUnknownKeys(def.element!, v, [...path, String(i)]));
  }
  if (def.type !== 'object' || !def.shape || def.catchall || !isPlainObject(input)) return [];
  const known = Object.keys(def.shape);
  const found: UnknownKey[] = [];
  for (const [key, value] of Object.entries(input)) {
    const child = def.shape[key];
    if (child) found.push(...findUnknownKeys(child, value, [...path, key]));
    else found.push({ path, key, suggestions: closest(key, known), known });
  }
  return found;
}

export function formatUnknownKey(u: UnknownKey): string {
  const where = [...u.path, u.key].join('.');
  const hint = u.suggestions.length
    ? `did you mean ${u.suggestions.map((s) => `"${s}"`).join(' or ')}?`
    : `known keys here: ${u.known.join(', ')}`;
  return `${where}: unknown key (${hint})`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Known keys within a small edit distance (a third of the word, at least 2), closest first. */
export function closest(word: string, candidates: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(word.length / 3));
  const scored = candidates
    .map((c) => ({ c, d: distance(word.toLowerCase(), c.toLowerCase()) }))
    .filter((x) => x.d <= limit);
  const best = Math.min(...scored.map((x) => x.d));
  return scored.filter((x) => x.d === best).map((x) => x.c);
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
