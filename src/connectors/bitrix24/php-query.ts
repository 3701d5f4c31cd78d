/**
 * PHP-style query encoding (what `http_build_query` produces and `parse_str` reads):
 * `{fields: {TITLE: 'A', PHONE: [{VALUE: '+7…'}]}}` → `fields[TITLE]=A&fields[PHONE][0][VALUE]=%2B7…`.
 * `batch` commands are `method?query` strings in this notation (notes §4), with each value
 * URL-encoded once inside the JSON body; `$result[key]` references survive because the portal
 * decodes the query before substituting them.
 */
export function encodePhpQuery(params: Record<string, unknown>): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(params)) walk(encodeKey(key), value, pairs);
  return pairs.join('&');
}

/** `method?query`, the form of one `batch` command. */
export function batchCommand(method: string, params: Record<string, unknown> = {}): string {
  const query = encodePhpQuery(params);
  return query ? `${method}?${query}` : method;
}

function walk(prefix: string, value: unknown, out: string[]): void {
  // http_build_query drops nulls, and an empty array or object contributes nothing.
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(`${prefix}[${i}]`, v, out));
  } else if (value instanceof Date) {
    out.push(`${prefix}=${encodeURIComponent(value.toISOString())}`);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(`${prefix}[${encodeKey(k)}]`, v, out);
  } else if (typeof value === 'boolean') {
    out.push(`${prefix}=${value ? '1' : '0'}`); // PHP renders true as 1, false as 0
  } else {
    out.push(`${prefix}=${encodeURIComponent(String(value))}`);
  }
}

/** Key segments are encoded, brackets stay readable (parse_str accepts both). */
function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%5B/gi, '[').replace(/%5D/gi, ']');
}
