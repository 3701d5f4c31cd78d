import qs from 'qs';
import type { PortalError } from './classify.js';

export interface BatchCommand {
  method: string;
  params?: Record<string, unknown>;
}

/** Per-command outcome of a batch: the portal answers 200 even when commands fail (docs/bitrix24-rest.md §4). */
export interface BatchResult {
  result: Record<string, unknown>;
  errors: Record<string, PortalError>;
  total: Record<string, number>;
  next: Record<string, number>;
}

/**
 * PHP-style query encoding (what `http_build_query` produces and `parse_str` reads), by `qs`:
 * `{fields: {TITLE: 'A', PHONE: [{VALUE: '+7…'}]}}` → `fields[TITLE]=A&fields[PHONE][0][VALUE]=%2B7…`.
 * `batch` commands are `method?query` strings in this notation (docs/bitrix24-rest.md §4), with
 * each value URL-encoded once inside the JSON body; `$result[key]` references survive because the
 * portal decodes the query before substituting them.
 */
export function encodePhpQuery(params: Record<string, unknown>): string {
  // http_build_query drops nulls; qs already skips undefined and empty arrays and objects.
  return qs.stringify(params, { skipNulls: true, encoder: encodePart });
}

/** `method?query`, the form of one `batch` command. */
export function batchCommand(method: string, params: Record<string, unknown> = {}): string {
  const query = encodePhpQuery(params);
  return query ? `${method}?${query}` : method;
}

/**
 * Keys: encoded with their brackets left readable (parse_str accepts both). Values: PHP renders
 * true as 1 and false as 0; everything else as encodeURIComponent does (qs would also escape
 * `!'()*`, which changes nothing for PHP but every command string we send).
 */
function encodePart(part: unknown, _default: unknown, _charset: unknown, type: 'key' | 'value'): string {
  if (type === 'key') return encodeURIComponent(String(part)).replace(/%5B/gi, '[').replace(/%5D/gi, ']');
  if (typeof part === 'boolean') return part ? '1' : '0';
  return encodeURIComponent(String(part));
}
