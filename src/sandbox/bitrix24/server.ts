/**
 * The portal's URL space: `/rest/<user>/<secret>/<method>[.json]` (also under `/rest/api/`), GET
 * or POST; `/rest/<method>` without credentials answers NO_AUTH_FOUND. A `lost` answer destroys
 * the socket after the call ran, so the client sees a connection error, not a response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http-server.js';
import { readParams } from './body.js';
import { RestError, systemErrors } from './envelope.js';
import type { Portal, PortalCall } from './portal.js';

function route(pathname: string): Omit<PortalCall, 'params'> | undefined {
  const parts = pathname
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  if (parts[0] !== 'rest') return undefined;
  const rest = parts[1] === 'api' ? parts.slice(2) : parts.slice(1);
  const method = (m: string) => m.replace(/\.json$/i, '');
  if (rest.length === 3) return { user: rest[0], secret: rest[1], method: method(rest[2] as string) };
  if (rest.length === 1) return { method: method(rest[0] as string) }; // no webhook credentials
  return undefined;
}

export function portalHandler(portal: Portal) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const target = route(url.pathname);
      if (!target) return sendJson(res, 404, systemErrors.methodNotFound().toBody());
      if (req.method !== 'GET' && req.method !== 'POST') {
        return sendJson(res, 405, { error: 'INVALID_REQUEST', error_description: 'Method not allowed' });
      }
      const params = await readParams(req, url.search);
      const answer = await portal.handle({ ...target, params });
      if (answer.drop) {
        res.socket?.destroy(); // the write happened; the client never hears about it
        return;
      }
      sendJson(res, answer.status, answer.body);
    })().catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const e = err instanceof RestError ? err : systemErrors.internal();
      sendJson(res, e.status, e.toBody());
    });
  };
}
