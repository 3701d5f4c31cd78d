/**
 * A DaData-compatible `POST /suggestions/api/4_1/rs/findById/party`: `Authorization: Token <t>`
 * (401 without it, 403 with a wrong one), a per-second rate limit (429 above it), a configurable
 * latency (400 ms by default, the seed system's measured figure), and an outage switch: answer 503,
 * or stop listening so clients get "connection refused".
 *
 * The register changes at run time through `POST /admin/registry` (same token): a JSON object
 * `{ "<inn>": entry | null }` whose entries replace those INNs (null removes one, so it is then
 * not found); the answer is `{ upserted, removed, size }`. Not DaData's: the sandbox's own, so
 * tests and people can liquidate a company or register a new one while the service runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, sendJson, type Listener } from '../http-server.js';
import { loadRegistry, loadRegistryPatch, type Registry, type RegistryPatch } from './registry.js';
import { findParty, type FindQuery } from './suggestion.js';

export const FIND_PARTY_PATH = '/suggestions/api/4_1/rs/findById/party';
export const ADMIN_REGISTRY_PATH = '/admin/registry';

export interface EgrulOptions {
  host?: string;
  port?: number;
  registry?: string | Registry;
  token?: string;
  latencyMs?: number;
  /** Requests per second before 429 (DaData's published 30/s per IP by default). */
  rateLimit?: number;
  tls?: { cert: string; key: string };
}

export interface EgrulCounters {
  requests: number;
  byStatus: Record<string, number>;
  found: number;
  notFound: number;
  /** Look-ups answered, by the INN (or OGRN) asked: tests tell "asked once" from "asked again". */
  byQuery: Record<string, number>;
}

export type DownMode = false | '503' | 'refuse';

const problem = (family: string, reason: string, message: string) => ({ family, reason, message });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export class EgrulServer {
  counters: EgrulCounters = { requests: 0, byStatus: {}, found: 0, notFound: 0, byQuery: {} };
  private listener?: Listener;
  private down: DownMode = false;
  private recent: number[] = [];
  private registry: Registry;
  latencyMs: number;
  private readonly token: string;
  private readonly rateLimit: number;

  constructor(private readonly opts: EgrulOptions = {}) {
    this.registry = loadRegistry(opts.registry);
    this.latencyMs = opts.latencyMs ?? 400;
    this.token = opts.token ?? 'sandbox-token';
    this.rateLimit = opts.rateLimit ?? 30;
  }

  /** The bound port, kept across a 'refuse' outage so the service comes back where it was. */
  private boundPort = 0;

  get port(): number {
    return this.listener?.port ?? this.boundPort;
  }

  get url(): string {
    const host = this.opts.host ?? '127.0.0.1';
    return `${this.opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async start(): Promise<void> {
    this.listener = await listen((req, res) => void this.handle(req, res), {
      host: this.opts.host ?? '127.0.0.1',
      port: this.boundPort || (this.opts.port ?? 0),
      tls: this.opts.tls,
    });
    this.boundPort = this.listener.port;
  }

  async stop(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
  }

  /** Outage switch: '503' answers Service Unavailable; 'refuse' closes the port; false brings it back. */
  async setDown(mode: DownMode): Promise<void> {
    const wasRefusing = this.down === 'refuse';
    this.down = mode;
    if (mode === 'refuse' && !wasRefusing) await this.stop();
    if (mode !== 'refuse' && wasRefusing) await this.start();
  }

  setRegistry(registry: string | Registry): void {
    this.registry = loadRegistry(registry);
  }

  /**
   * Replaces the entries of the INNs given (null removes one). A new object, not an edit in
   * place: the OGRN index is cached per registry object (suggestion.ts).
   */
  upsertRegistry(patch: RegistryPatch): { upserted: number; removed: number; size: number } {
    const checked = loadRegistryPatch(patch);
    const next: Registry = { ...this.registry };
    let upserted = 0;
    let removed = 0;
    for (const [inn, entry] of Object.entries(checked)) {
      if (entry === null) {
        if (Object.hasOwn(next, inn)) removed++;
        delete next[inn];
      } else {
        next[inn] = entry;
        upserted++;
      }
    }
    this.registry = next;
    return { upserted, removed, size: Object.keys(next).length };
  }

  /** The entry the emulator answers from for this INN (tests). */
  entry(inn: string): Registry[string] | undefined {
    return Object.hasOwn(this.registry, inn) ? this.registry[inn] : undefined;
  }

  resetCounters(): void {
    this.counters = { requests: 0, byStatus: {}, found: 0, notFound: 0, byQuery: {} };
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    this.counters.byStatus[status] = (this.counters.byStatus[status] ?? 0) + 1;
    sendJson(res, status, body);
  }

  private overRate(): boolean {
    const now = Date.now();
    this.recent = this.recent.filter((t) => t > now - 1000);
    if (this.recent.length >= this.rateLimit) return true;
    this.recent.push(now);
    return false;
  }

  /** `POST /admin/registry`: not counted as a register request (counters describe look-ups). */
  private async admin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, problem('CLIENT_ERROR', 'Method Not Allowed', 'Use POST'));
    const auth = /^Token\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!auth)
      return sendJson(
        res,
        401,
        problem('CLIENT_ERROR', 'Unauthorized', 'You should provide Authorization header with your api token'),
      );
    if (auth[1] !== this.token) return sendJson(res, 403, problem('CLIENT_ERROR', 'Forbidden', 'Token is not valid'));
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return sendJson(res, 400, problem('CLIENT_ERROR', 'Bad Request', 'Invalid JSON'));
    }
    try {
      sendJson(res, 200, this.upsertRegistry(body as RegistryPatch));
    } catch (err) {
      sendJson(res, 400, problem('CLIENT_ERROR', 'Bad Request', err instanceof Error ? err.message : String(err)));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://x').pathname === ADMIN_REGISTRY_PATH) return this.admin(req, res);
    this.counters.requests++;
    try {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== FIND_PARTY_PATH) return this.send(res, 404, problem('CLIENT_ERROR', 'Not Found', 'Wrong URL'));
      if (req.method !== 'POST') return this.send(res, 405, problem('CLIENT_ERROR', 'Method Not Allowed', 'Use POST'));
      if (this.down === '503')
        return this.send(
          res,
          503,
          problem('SERVER_ERROR', 'Service Unavailable', 'Service is temporarily unavailable'),
        );
      const auth = /^Token\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!auth)
        return this.send(
          res,
          401,
          problem('CLIENT_ERROR', 'Unauthorized', 'You should provide Authorization header with your api token'),
        );
      if (auth[1] !== this.token)
        return this.send(res, 403, problem('CLIENT_ERROR', 'Forbidden', 'Token is not valid'));
      if (this.overRate())
        return this.send(res, 429, problem('CLIENT_ERROR', 'Too Many Requests', 'Too many requests per second'));
      let body: unknown;
      try {
        body = await readJson(req);
      } catch {
        return this.send(res, 400, problem('CLIENT_ERROR', 'Bad Request', 'Invalid JSON'));
      }
      const q = body as Partial<FindQuery> | null;
      if (!q || typeof q.query !== 'string' || q.query.trim() === '') {
        return this.send(res, 400, problem('CLIENT_ERROR', 'Bad Request', 'query is required'));
      }
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const suggestions = findParty(this.registry, q as FindQuery);
      this.counters.byQuery[q.query] = (this.counters.byQuery[q.query] ?? 0) + 1;
      if (suggestions.length) this.counters.found++;
      else this.counters.notFound++;
      this.send(res, 200, { suggestions });
    } catch {
      if (!res.headersSent) this.send(res, 500, problem('SERVER_ERROR', 'Internal Server Error', 'internal error'));
    }
  }
}

export async function startEgrul(opts: EgrulOptions = {}): Promise<EgrulServer> {
  const server = new EgrulServer(opts);
  await server.start();
  return server;
}
