/**
 * PHP-style parameter decoding: `fields[PHONE][0][VALUE]=x&select[]=ID` becomes nested objects and
 * arrays, exactly as PHP builds `$_REQUEST`. The portal is PHP, so form bodies, query strings and
 * the command strings inside `batch` all arrive in this notation.
 *
 * Hand-written on purpose: the sandbox must parse as PHP's `parse_str` does, and `qs.parse` does
 * not — it compacts sparse lists (`a[5]=x&a[7]=y` is `{5: x, 7: y}` in PHP, `[x, y]` in qs),
 * merges `a=1&a[b]=2` into a list where PHP keeps the last, and reads `[x]=1` as `x`.
 */
export type PhpValue = string | PhpValue[] | { [key: string]: PhpValue };
export type PhpMap = Record<string, PhpValue>;

/** Splits `a[b][]` into ['a', 'b', ''] (an empty segment means "append"). */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key)) !== null) parts.push(m[1] ?? '');
  // PHP ignores anything after the last well-formed bracket pair; so do we.
  return parts;
}

function nextIndex(obj: Record<string, unknown>): string {
  let max = -1;
  for (const k of Object.keys(obj)) if (/^\d+$/.test(k)) max = Math.max(max, Number(k));
  return String(max + 1);
}

type Tree = { [key: string]: Tree | string };

/** Builds the nested value from ordered key/value pairs; later pairs overwrite earlier ones (PHP). */
export function parsePhpPairs(pairs: Iterable<[string, string]>): PhpMap {
  const root: Tree = Object.create(null) as Tree;
  for (const [rawKey, value] of pairs) {
    const path = splitKey(rawKey);
    if (path.includes('__proto__')) continue; // never let a request touch prototypes
    let node: Tree = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] === '' ? nextIndex(node) : (path[i] as string);
      if (i === path.length - 1) {
        node[seg] = value;
      } else {
        const child = node[seg];
        if (typeof child !== 'object') node[seg] = Object.create(null) as Tree;
        node = node[seg] as Tree;
      }
    }
  }
  return normalize(root) as PhpMap;
}

/** `a=1&b[c]=2` (URL-encoded, `+` is a space) → nested map. */
export function parsePhpQuery(query: string): PhpMap {
  const q = query.startsWith('?') ? query.slice(1) : query;
  return parsePhpPairs(new URLSearchParams(q).entries());
}

/** Maps with keys exactly 0..n-1 become arrays, so methods see lists the way JSON callers send them. */
function normalize(value: Tree | string): PhpValue {
  if (typeof value === 'string') return value;
  const keys = Object.keys(value);
  const out: Record<string, PhpValue> = {};
  for (const k of keys) out[k] = normalize(value[k] as Tree | string);
  const sequential = keys.length > 0 && keys.every((k, i) => k === String(i));
  return sequential ? keys.map((k) => out[k] as PhpValue) : out;
}
