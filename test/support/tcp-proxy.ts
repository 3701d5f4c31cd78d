// A TCP forwarder on a fixed loopback port that a test opens and closes: "the server is down"
// (nothing listens, connections are refused) and "it is up again", in front of a real server.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './net.js';

export interface TcpProxy {
  readonly port: number;
  /** Starts listening and forwarding to the target. */
  up(): Promise<void>;
  /** Stops listening and cuts every forwarded connection. */
  down(): Promise<void>;
}

export function tcpProxy(port: number, target: { host: string; port: number }): TcpProxy {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  return {
    port,
    async up() {
      if (server) return;
      const s = createServer((client) => {
        const upstream = createConnection(target);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, LOOPBACK, resolve);
      });
      server = s;
    },
    async down() {
      const s = server;
      server = undefined;
      for (const sock of sockets) sock.destroy();
      if (s) await new Promise((resolve) => s.close(resolve));
    },
  };
}
