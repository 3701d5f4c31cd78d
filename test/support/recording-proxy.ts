// An HTTP forwarder in front of the sandbox portal that notes every request it receives, so a test
// can tell which process called the CRM and when: give each instance its own proxy (its own
// webhook URL) and compare their logs. Requests are noted on arrival, before they are forwarded.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK } from './net.js';

export interface NotedRequest {
  /** Epoch ms when the request arrived. */
  at: number;
  /** The REST method (`batch`, `crm.company.list`, …). */
  method: string;
  /** For a batch, each command's method; else the method itself. */
  commands: string[];
}

export interface RecordingProxy {
  /** The webhook URL to give the instance: the sandbox's path on this proxy's origin. */
  readonly webhookUrl: string;
  readonly requests: NotedRequest[];
  close(): Promise<void>;
}

const writeVerb = /\.(add|update|delete|set|import|batchimport)$/i;

/** Whether a noted request changed anything in the CRM (a write, or a batch holding one). */
export function isWrite(r: NotedRequest): boolean {
  return r.commands.some((c) => writeVerb.test(c));
}

export async function recordingProxy(sandboxWebhookUrl: string): Promise<RecordingProxy> {
  const target = new URL(sandboxWebhookUrl);
  const requests: NotedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    void readBody(req).then(async (body) => {
      requests.push({ at, ...describe(req.url ?? '/', body) });
      try {
        const answer = await fetch(new URL(req.url ?? '/', target.origin), {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: req.method === 'GET' ? undefined : body,
        });
        const bytes = Buffer.from(await answer.arrayBuffer());
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(bytes);
      } catch {
        res.socket?.destroy(); // the portal dropped the answer (a `lost` fault): so does the proxy
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    webhookUrl: `${target.protocol}//${LOOPBACK}:${port}${target.pathname}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function describe(url: string, body: Buffer): Omit<NotedRequest, 'at'> {
  const method = (url.split('?')[0]!.split('/').pop() ?? '').replace(/\.json$/i, '');
  if (method !== 'batch') return { method, commands: [method] };
  try {
    const cmd = (JSON.parse(body.toString()) as { cmd?: Record<string, string> }).cmd ?? {};
    return { method, commands: Object.values(cmd).map((c) => c.split('?')[0]!) };
  } catch {
    return { method, commands: [] };
  }
}
