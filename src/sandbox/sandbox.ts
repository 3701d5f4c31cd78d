/**
 * The whole local sandbox: a Bitrix24 portal emulator and a DaData-compatible EGRUL emulator,
 * bound to 127.0.0.1 by default, on random free ports when asked for port 0. The `crm-unify
 * sandbox` command and the tests start it through here.
 */
import { startPortal, type CrmSeed, type CrmSeedResult, type Portal, type PortalServer } from './bitrix24/index.js';
import type { OperatingOptions } from './bitrix24/operating.js';
import { startEgrul, type EgrulServer } from './egrul/server.js';
import type { Registry } from './egrul/registry.js';
import { tlsMaterial, type TlsMaterial } from './tls.js';

export { parseFaultSpec, FaultSpecError, type FaultSpec } from './bitrix24/faults.js';
export { parseOperatingCosts } from './bitrix24/operating.js';
export type { Registry, RegistryEntry } from './egrul/registry.js';
export {
  parseCrmSeed,
  readCrmSeed,
  type CrmSeed,
  type CrmSeedResult,
  type ParsedCrmSeed,
  type SeededCompany,
} from './bitrix24/index.js';

export interface SandboxOptions {
  port?: number;
  egrulPort?: number;
  host?: string;
  registry?: string | Registry;
  rate?: number;
  burst?: number;
  faults?: string;
  faultSeed?: number;
  operating?: OperatingOptions;
  /** Keep the portal's state in this JSON file. */
  data?: string;
  /** Companies, requisites and contacts people entered, as a file or an object (crm-seed.schema.ts). */
  crmSeed?: string | CrmSeed;
  /** true: self-signed certificate made now; or the caller's PEM cert and key. Both servers use it. */
  tls?: boolean | { cert: string; key: string };
  webhookUser?: string;
  webhookSecret?: string;
  egrulToken?: string;
  egrulLatencyMs?: number;
  egrulRateLimit?: number;
}

export interface Sandbox {
  /** `http(s)://host:port/rest/<user>/<secret>/` */
  webhookUrl: string;
  /** Base URL of the EGRUL emulator; the method lives at `${egrulUrl}/suggestions/api/4_1/rs/findById/party`. */
  egrulUrl: string;
  egrulToken: string;
  /** The portal: `store`, `counters`, `setFaults()`, `bucket`, `resetCounters()`, `editAsPerson()`. */
  portal: Portal;
  /** What `crmSeed` created (ids in file order), or why nothing was seeded. */
  crmSeed?: CrmSeedResult | { skipped: string };
  /** The EGRUL emulator: `setDown()`, `counters`, `latencyMs`, `setRegistry()`. */
  egrul: EgrulServer;
  /** PEM to trust when TLS is on (pass as `ca`, or write to a file for NODE_EXTRA_CA_CERTS). */
  ca?: string;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  let tls: TlsMaterial | undefined;
  if (opts.tls === true) tls = await tlsMaterial({ hosts: [host] });
  else if (opts.tls) tls = await tlsMaterial(opts.tls);
  const serverTls = tls ? { cert: tls.cert, key: tls.key } : undefined;
  const egrulToken = opts.egrulToken ?? 'sandbox-token';
  const portal: PortalServer = await startPortal({
    host,
    port: opts.port ?? 0,
    tls: serverTls,
    data: opts.data,
    rate: opts.rate,
    burst: opts.burst,
    faults: opts.faults,
    faultSeed: opts.faultSeed,
    operating: opts.operating,
    crmSeed: opts.crmSeed,
    webhookUser: opts.webhookUser,
    webhookSecret: opts.webhookSecret,
  });
  let egrul: EgrulServer;
  try {
    egrul = await startEgrul({
      host,
      port: opts.egrulPort ?? 0,
      registry: opts.registry,
      token: egrulToken,
      latencyMs: opts.egrulLatencyMs,
      rateLimit: opts.egrulRateLimit,
      tls: serverTls,
    });
  } catch (err) {
    await portal.stop();
    throw err;
  }
  return {
    webhookUrl: portal.webhookUrl,
    egrulUrl: egrul.url,
    egrulToken,
    portal: portal.portal,
    crmSeed: portal.crmSeed,
    egrul,
    ca: tls?.ca,
    stop: async () => {
      await Promise.all([portal.stop(), egrul.stop()]);
    },
  };
}
