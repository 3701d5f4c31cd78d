/** The Bitrix24 portal emulator: start it on a port, or use Portal directly in-process. */
import { listen, type Listener } from '../http-server.js';
import { persistStore, type Persistence } from './persistence.js';
import { Portal, type PortalOptions } from './portal.js';
import { portalHandler } from './server.js';

export { Portal, type PortalOptions, type PortalAnswer, type PortalCall } from './portal.js';
export { PortalStore, type StoreSnapshot, type StoredEntity, type MultiRow } from './store.js';
export { parseFaultSpec, FaultSpecError, type FaultSpec } from './faults.js';
export type { PortalCounters } from './counters.js';

export interface PortalServerOptions extends PortalOptions {
  host?: string;
  port?: number;
  tls?: { cert: string; key: string };
  /** Keep state in this JSON file. */
  data?: string;
  dataDebounceMs?: number;
}

export interface PortalServer {
  portal: Portal;
  /** `http(s)://host:port/rest/<user>/<secret>/` */
  webhookUrl: string;
  origin: string;
  port: number;
  stop(): Promise<void>;
}

export async function startPortal(opts: PortalServerOptions = {}): Promise<PortalServer> {
  const portal = new Portal(opts);
  const persistence: Persistence | undefined = opts.data ? persistStore(portal.store, opts.data, opts.dataDebounceMs) : undefined;
  let listener: Listener;
  try {
    listener = await listen(portalHandler(portal), { host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, tls: opts.tls });
  } catch (err) {
    await persistence?.close();
    throw err;
  }
  return {
    portal,
    origin: listener.origin,
    port: listener.port,
    webhookUrl: `${listener.origin}/rest/${portal.webhookUser}/${portal.webhookSecret}/`,
    stop: async () => {
      await listener.close();
      await persistence?.close();
    },
  };
}
