/** Small helpers for the emulator's own tests: a started portal and a raw JSON caller. */
import { startPortal, type PortalServer, type PortalServerOptions } from './index.js';

export async function testPortal(opts: PortalServerOptions = {}): Promise<PortalServer> {
  // functional tests turn the rate limit off unless they test it
  return startPortal({ rate: Infinity, burst: Infinity, ...opts });
}

export interface RawAnswer {
  status: number;
  body: Record<string, unknown> & {
    result?: unknown;
    error?: unknown;
    error_description?: string;
    total?: number;
    next?: number;
  };
}

/** POSTs JSON (or a form string when `form` is set) to `<webhook><method>`. */
export async function call(webhookUrl: string, method: string, params: unknown = {}, form = false): Promise<RawAnswer> {
  const res = await fetch(`${webhookUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? String(params) : JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as RawAnswer['body'] };
}

/** The `result` of a successful call, failing loudly otherwise. */
export async function ok<T = unknown>(webhookUrl: string, method: string, params: unknown = {}): Promise<T> {
  const a = await call(webhookUrl, method, params);
  if (a.status !== 200) throw new Error(`${method} → ${a.status} ${JSON.stringify(a.body)}`);
  return a.body.result as T;
}
