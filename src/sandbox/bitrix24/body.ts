/**
 * Request parameters the way the portal reads them: the query string and the body merged (body
 * wins, like PHP's $_REQUEST), the body being JSON, `application/x-www-form-urlencoded` or
 * `multipart/form-data`, the latter two in PHP bracket notation.
 */
import type { IncomingMessage } from 'node:http';
import { RestError } from './envelope.js';
import { parsePhpPairs, parsePhpQuery, type PhpMap } from './parse-str.js';

export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new RestError(413, 'ERROR_REQUEST_TOO_LARGE', 'Request entity too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

async function parseBody(contentType: string, body: Buffer): Promise<Record<string, unknown>> {
  if (body.length === 0) return {};
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'multipart/form-data') {
    // The platform's own multipart parser; files are reduced to their names (no method here takes files).
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    const pairs: Array<[string, string]> = [];
    form.forEach((v, k) => pairs.push([k, typeof v === 'string' ? v : v.name]));
    return parsePhpPairs(pairs);
  }
  const text = body.toString('utf8');
  if (type === 'application/json' || (type === '' && /^\s*[{[]/.test(text))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The portal answers an unparsable JSON body as a bad request.
      throw new RestError(400, 'INVALID_REQUEST', 'Invalid JSON body');
    }
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  return parsePhpQuery(text);
}

export async function readParams(req: IncomingMessage, query: string): Promise<Record<string, unknown>> {
  const fromQuery: PhpMap = parsePhpQuery(query);
  const fromBody =
    req.method === 'GET' || req.method === 'HEAD'
      ? {}
      : await parseBody(req.headers['content-type'] ?? '', await readBody(req));
  return { ...fromQuery, ...fromBody };
}
