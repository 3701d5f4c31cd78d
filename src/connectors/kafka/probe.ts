import { connect } from 'node:net';

/**
 * Whether any bootstrap broker accepts a TCP connection. kafkajs takes ~10 s of its own retries
 * to report a broker that refuses connections; this answers at once, so the outage policy can
 * say so (and back off) from the first attempt. Rejects with the socket error of the last broker.
 */
export async function probeBrokers(brokers: readonly string[], timeoutMs = 3000): Promise<void> {
  let last: unknown;
  for (const broker of brokers) {
    const i = broker.lastIndexOf(':');
    const host = broker.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(broker.slice(i + 1));
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host, port, timeout: timeoutMs });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('timeout', () => {
          socket.destroy();
          reject(Object.assign(new Error(`connect ETIMEDOUT ${broker}`), { code: 'ETIMEDOUT' }));
        });
        socket.once('error', (err) => {
          socket.destroy();
          reject(err);
        });
      });
      return;
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
