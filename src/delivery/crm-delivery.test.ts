import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { DeliveryLedger } from './ledger.js';
import { Bitrix24Loader } from '../connectors/bitrix24/loader.js';
import { Bitrix24Client } from '../connectors/bitrix24/rest-client.js';
import { parseConfig } from '../core/config.js';
import { generate, scales } from '../gen/dataset.js';
import { mapPartner } from '../mappers/index.js';
import type { CanonicalChange } from '../model/index.js';
import { Resolver } from '../resolve/resolver.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { CrmDelivery } from './crm-delivery.js';

let sb: Sandbox;
beforeAll(async () => { sb = await startSandbox({ rate: Number.POSITIVE_INFINITY, faults: 'latency=5-30' }); });
afterAll(() => sb.stop());

function setup() {
  const store = new MemoryStateStore();
  const resolver = new Resolver(store);
  const config = parseConfig(Bitrix24ConfigSchema, { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000 });
  const client = new Bitrix24Client(config);
  const ledger = new DeliveryLedger(store, resolver);
  const loader = new Bitrix24Loader(client, config, { onCreateAttempt: ledger.attempted });
  const delivery = new CrmDelivery(store, ledger, loader);
  return { store, resolver, delivery };
}

/** Valid Shop B partners (with contacts) from the generator, as canonical changes. */
function partners(n: number): Array<Extract<CanonicalChange, { kind: 'company' }>> {
  const out: Array<Extract<CanonicalChange, { kind: 'company' }>> = [];
  for (const p of generate(scales.small, 3).shopB.dump) {
    const m = mapPartner(p);
    if (m.ok && m.value.kind === 'company' && m.value.contacts.length > 0) out.push(m.value);
    if (out.length === n) break;
  }
  return out;
}

const originCount = (entity: 'company' | 'contact', origin: string) => sb.portal.store.all(entity).filter((e) => e.fields.ORIGIN_ID === origin).length;

describe('CrmDelivery', () => {
  it('delivers one company once when two topologies deliver it at the same time', async () => {
    const { resolver, delivery } = setup();
    const [change] = partners(1);
    await resolver.resolve(change!, { ref: 'p@1' });
    const inn = change!.company.requisite.inn;
    const [a, b] = await Promise.all([delivery.deliver([inn]), delivery.deliver([inn])]);
    expect([a[0]!.status, b[0]!.status].sort()).toEqual(['synced', 'unchanged']);
    expect(originCount('company', inn)).toBe(1);
  });

  it('removes a company deleted at every source from the CRM, with its contacts, and leaves nothing pending', async () => {
    const { store, resolver, delivery } = setup();
    const change = partners(2)[1];
    const inn = change!.company.requisite.inn;
    await resolver.resolve(change!, { ref: 'p@1' });
    await delivery.deliver([inn]);
    const memo = (await store.get('crmIds', inn)) as { delivery?: { ids?: { contacts: Record<string, unknown> } } } | undefined;
    const contactIds = Object.keys(memo?.delivery?.ids?.contacts ?? {});
    expect(contactIds.length).toBeGreaterThan(0);
    expect(contactIds.every((id) => originCount('contact', id) === 1)).toBe(true);
    expect(originCount('company', inn)).toBe(1);
    await resolver.resolve({ kind: 'delete', entity: 'company', source: change!.company.source, sourceId: change!.company.sourceId, changedAt: '2030-01-01T00:00:00Z' }, { ref: 'p@2' });
    const [out] = await delivery.deliver([inn]);
    expect(out!.writes).toBeGreaterThan(1);
    expect(originCount('company', inn)).toBe(0);
    expect(contactIds.map((id) => originCount('contact', id))).toEqual(contactIds.map(() => 0));
    expect((await store.stats()).pending).toBe(0);
  });

  it('removes the contacts of a store that deleted its record while another store keeps the company', async () => {
    const { store, resolver, delivery } = setup();
    const change = partners(3)[2]!;
    const inn = change.company.requisite.inn;
    const fromShopA: CanonicalChange = { kind: 'company', company: { ...change.company, source: 'shop-a', sourceId: '900' }, contacts: [] };
    await resolver.resolve(change, { ref: 'p@1' });
    await resolver.resolve(fromShopA, { ref: 'a@1' });
    await delivery.deliver([inn]);
    const memo = (await store.get('crmIds', inn)) as { delivery?: { ids?: { contacts: Record<string, unknown> } } } | undefined;
    const contactIds = Object.keys(memo?.delivery?.ids?.contacts ?? {});
    expect(contactIds.length).toBeGreaterThan(0);
    await resolver.resolve({ kind: 'delete', entity: 'company', source: 'shop-b', sourceId: change.company.sourceId, changedAt: '2030-01-01T00:00:00Z' }, { ref: 'p@2' });
    await delivery.deliver([inn]);
    expect(originCount('company', inn)).toBe(1);
    expect(contactIds.map((id) => originCount('contact', id))).toEqual(contactIds.map(() => 0));
    expect((await store.stats()).pending).toBe(0);
  });
});
