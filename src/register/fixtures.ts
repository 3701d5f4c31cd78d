import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { Bitrix24Loader } from '../connectors/bitrix24/loader.js';
import { Bitrix24Client } from '../connectors/bitrix24/rest-client.js';
import { loadEgrulConfig } from '../connectors/egrul/config.js';
import { DadataClient } from '../connectors/egrul/dadata-client.js';
import { EgrulVerifier } from '../connectors/egrul/verifier.js';
import { parseConfig } from '../core/config.js';
import { CrmDelivery } from '../delivery/crm-delivery.js';
import { DeliveryLedger } from '../delivery/ledger.js';
import type { Dataset } from '../gen/dataset.js';
import { mapPartner } from '../mappers/index.js';
import { createMetrics } from '../metrics/metrics.js';
import type { CanonicalChange } from '../model/index.js';
import { StateRegistryCache } from '../pipeline/state-registry-cache.js';
import { Resolver } from '../resolve/resolver.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { MemoryStateStore } from '../state/memory-store.js';

/** Test fixtures of the register's re-checks (tests only). */

/** Shop B partners the register lists as active, with contacts, as canonical changes. */
export function activePartners(ds: Dataset, n: number): Array<Extract<CanonicalChange, { kind: 'company' }>> {
  const out: Array<Extract<CanonicalChange, { kind: 'company' }>> = [];
  for (const p of ds.shopB.dump) {
    const m = mapPartner(p);
    if (!m.ok || m.value.kind !== 'company' || m.value.contacts.length === 0) continue;
    const inn = m.value.company.requisite.inn;
    if (ds.registry[inn]?.status !== 'ACTIVE' || out.some((c) => c.company.requisite.inn === inn)) continue;
    out.push(m.value);
    if (out.length === n) break;
  }
  return out;
}

/** The state and clients a service holds, against the sandbox: register cache, resolver, ledger and delivery. */
export function serviceParts(sb: Sandbox, registryConfig: Record<string, unknown> = {}) {
  const store = new MemoryStateStore();
  const resolver = new Resolver(store);
  const crmConfig = parseConfig(Bitrix24ConfigSchema, { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000 });
  const client = new Bitrix24Client(crmConfig);
  const ledger = new DeliveryLedger(store, resolver);
  const delivery = new CrmDelivery(
    store,
    ledger,
    new Bitrix24Loader(client, crmConfig, { onCreateAttempt: ledger.attempted }),
  );
  const registry = loadEgrulConfig({ url: sb.egrulUrl, token: sb.egrulToken, rate: 1000, ...registryConfig }, {});
  const verifier = new EgrulVerifier(registry, {
    client: new DadataClient(registry),
    cache: new StateRegistryCache(store),
  });
  const metrics = createMetrics(undefined, { defaultMetrics: false });
  return { store, resolver, crmConfig, client, delivery, registry, verifier, metrics };
}
