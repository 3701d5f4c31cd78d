// Loopback port helpers. Everything the harness starts listens on 127.0.0.1 only, never
// "localhost": Node 17+ resolves names in OS order, so localhost may become ::1 first.
import { createConnection, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOOPBACK = '127.0.0.1';

/** n distinct free ports; all are held open together so the OS cannot hand out one twice. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, resolve);
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** One TCP connect attempt; true if something accepted it. */
export function canConnect(port: number, host = LOOPBACK, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls until the port accepts connections. `failed()` is checked each round so a launcher can stop
 * waiting as soon as its process has died instead of running into the timeout.
 */
export async function waitForPort(
  port: number,
  opts: { timeoutMs: number; failed?: () => Error | undefined; what: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const failure = opts.failed?.();
    if (failure) throw failure;
    if (await canConnect(port)) return;
    if (Date.now() >= deadline) throw new Error(`${opts.what}: port ${port} did not open within ${opts.timeoutMs} ms`);
    await sleep(100);
  }
}
