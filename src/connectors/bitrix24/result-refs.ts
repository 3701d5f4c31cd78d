/**
 * `$result[key]…` references inside batch command params: the portal resolves them to an earlier
 * command's answer. Packing (an item's id inside its import command) and merging (a batch's keys
 * prefixed) both rewrite them, through this one walk over a params tree.
 */
export function mapStrings(v: unknown, fn: (s: string) => string): unknown {
  if (typeof v === 'string') return fn(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, fn));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, fn)]));
  return v;
}
