/** What a method handler gets and returns, plus the small parameter helpers they share. */
import { badParam } from '../envelope.js';
import type { PortalStore } from '../store.js';
import { isoWithOffset } from '../envelope.js';

export interface MethodContext {
  store: PortalStore;
  /** The webhook's user: the default ASSIGNED_BY_ID / CREATED_BY_ID, as on a real portal. */
  userId: string;
}

export interface MethodResult {
  result: unknown;
  total?: number;
  next?: number;
  /** Records written, when not one per successful call (imports create several or none). */
  writes?: number;
}

export type Params = Record<string, unknown>;
export type MethodHandler = (params: Params, ctx: MethodContext) => MethodResult;

/** The CRM REST proxies upper-case top-level parameter names (CCrmRestProxyBase), so `id` = `ID`. */
export function upperKeys(params: Params): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(params)) out[k.toUpperCase()] = v;
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A positive integer id, or the portal's "ID is not defined or invalid." */
export function requireId(v: unknown, name = 'ID'): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n <= 0) throw badParam(`${name} is not defined or invalid.`);
  return n;
}

export function requireFields(params: Params): Record<string, unknown> {
  const fields = params.FIELDS;
  if (!isObject(fields)) throw badParam("Parameter 'fields' must be array.");
  if (params.PARAMS !== undefined && !isObject(params.PARAMS) && !Array.isArray(params.PARAMS)) {
    throw badParam("Parameter 'params' must be array.");
  }
  return fields;
}

/** Stored scalar form: everything is a string, as the portal reads it back; null clears. */
export function scalar(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 'Y' : 'N';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export const nowIso = (): string => isoWithOffset(Date.now());
