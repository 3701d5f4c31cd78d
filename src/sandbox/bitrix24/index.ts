/** The Bitrix24 portal emulator: start it on a port, or use Portal directly in-process. */
import { listen, type Listener } from '../http-server.js';
import { seedPortal, type CrmSeedResult } from './crm-seed.js';
import { readCrmSeed, type CrmSeed } from './crm-seed.schema.js';
import { persistStore, type Persistence } from './persistence.js';
import { Portal, type PortalOptions } from './portal.js';
import { portalHandler } from './server.js';

export { Portal, type PortalOptions, type PortalAnswer, type PortalCall } from './portal.js';
export { PortalStore, type StoreSnapshot, type StoredEntity, type MultiRow } from './store.js';
export { parseFaultSpec, FaultSpecError, type FaultSpec } from './faults.js';
export type { PortalCounters } from './counters.js';
export { seedPortal, type CrmSeedResult, type SeededCompany } from './crm-seed.js';
export { parseCrmSeed, readCrmSeed, type CrmSeed, type ParsedCrmSeed } from './crm-seed.schema.js';
export { PERSON_USER_ID } from './person.js';

export interface PortalServerOptions extends PortalOptions {
  host?: string;
  port?: number;
  tls?: { cert: string; key: string };
  /** Keep state in this JSON file. */
  data?: string;
  dataDebounceMs?: number;
  /**
   * People's records to start with (a file or the seed itself). With `data`, only a portal that
   * holds nothing yet is seeded, so a restart with the same options does not seed twice.
   */
  crmSeed?: string | CrmSeed;
}

export interface PortalServer {
  portal: Portal;
  /** `http(s)://host:port/rest/<user>/<secret>/` */
  webhookUrl: string;
  origin: string;
  port: number;
  /** What the CRM seed created, or why nothing was seeded. */
  crmSeed?: CrmSeedResult | { skipped: string };
  stop(): Promise<void>;
}

export async function startPortal(opts: PortalServerOptions = {}): Promise<PortalServer> {
  const portal = new Portal(opts);
  // a bad seed file fails before anything is loaded or bound
  const seed = typeof opts.crmSeed === 'string' ? readCrmSeed(opts.crmSeed) : opts.crmSeed;
  const persistence: Persistence | undefined = opts.data
    ? persistStore(portal.store, opts.data, opts.dataDebounceMs)
    : undefined;
  let listener: Listener;
  let crmSeed: PortalServer['crmSeed'];
  try {
    if (seed) crmSeed = seedOnce(portal, seed);
    listener = await listen(portalHandler(portal), {
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      tls: opts.tls,
    });
  } catch (err) {
    await persistence?.close();
    throw err;
  }
  return {
    portal,
    origin: listener.origin,
    port: listener.port,
    crmSeed,
    webhookUrl: `${listener.origin}/rest/${portal.webhookUser}/${portal.webhookSecret}/`,
    stop: async () => {
      await listener.close();
      await persistence?.close();
    },
  };
}

function seedOnce(portal: Portal, seed: CrmSeed): CrmSeedResult | { skipped: string } {
  const held = Object.values(portal.store.counts()).reduce((a, b) => a + b, 0);
  if (held > 0) return { skipped: `the portal already holds ${held} records (from --data)` };
  return seedPortal(portal.store, seed, { webhookUser: portal.webhookUser });
}
