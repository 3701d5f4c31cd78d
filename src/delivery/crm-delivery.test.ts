import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { formatFindings } from '../cli/commands/crm.command.js';
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
beforeAll(async () => {
  sb = await startSandbox({ rate: Number.POSITIVE_INFINITY, faults: 'latency=5-30' });
});
afterAll(() => sb.stop());

function setup(opts: ConstructorParameters<typeof CrmDelivery>[3] = {}) {
  const store = new MemoryStateStore();
  const resolver = new Resolver(store);
  const config = parseConfig(Bitrix24ConfigSchema, { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000 });
  const client = new Bitrix24Client(config);
  const ledger = new DeliveryLedger(store, resolver);
  const loader = new Bitrix24Loader(client, config, { onCreateAttempt: ledger.attempted });
  const delivery = new CrmDelivery(store, ledger, loader, opts);
  return { store, resolver, delivery, client, loader };
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

const originCount = (entity: 'company' | 'contact', origin: string) =>
  sb.portal.store.all(entity).filter((e) => e.fields.ORIGIN_ID === origin).length;

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
    const memo = (await store.get('crmIds', inn)) as
      { delivery?: { ids?: { contacts: Record<string, unknown> } } } | undefined;
    const contactIds = Object.keys(memo?.delivery?.ids?.contacts ?? {});
    expect(contactIds.length).toBeGreaterThan(0);
    expect(contactIds.every((id) => originCount('contact', id) === 1)).toBe(true);
    expect(originCount('company', inn)).toBe(1);
    await resolver.resolve(
      {
        kind: 'delete',
        entity: 'company',
        source: change!.company.source,
        sourceId: change!.company.sourceId,
        changedAt: '2030-01-01T00:00:00Z',
      },
      { ref: 'p@2' },
    );
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
    const fromShopA: CanonicalChange = {
      kind: 'company',
      company: { ...change.company, source: 'shop-a', sourceId: '900' },
      contacts: [],
    };
    await resolver.resolve(change, { ref: 'p@1' });
    await resolver.resolve(fromShopA, { ref: 'a@1' });
    await delivery.deliver([inn]);
    const memo = (await store.get('crmIds', inn)) as
      { delivery?: { ids?: { contacts: Record<string, unknown> } } } | undefined;
    const contactIds = Object.keys(memo?.delivery?.ids?.contacts ?? {});
    expect(contactIds.length).toBeGreaterThan(0);
    await resolver.resolve(
      {
        kind: 'delete',
        entity: 'company',
        source: 'shop-b',
        sourceId: change.company.sourceId,
        changedAt: '2030-01-01T00:00:00Z',
      },
      { ref: 'p@2' },
    );
    await delivery.deliver([inn]);
    expect(originCount('company', inn)).toBe(1);
    expect(contactIds.map((id) => originCount('contact', id))).toEqual(contactIds.map(() => 0));
    expect((await store.stats()).pending).toBe(0);
  });

  it('adopts a company people entered and lists its twin and their edits for `crm-unify crm`', async () => {
    const { store, resolver, delivery, client } = setup();
    const change = partners(4)[3]!;
    const inn = change.company.requisite.inn;
    const made: number[] = [];
    for (const title of ['Как ввёл менеджер', 'Дубль от другого менеджера']) {
      const id = Number(
        await client.call('crm.company.add', { fields: { TITLE: title, COMMENTS: 'VIP', ASSIGNED_BY_ID: 7 } }),
      );
      await client.call('crm.requisite.add', {
        fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: id, PRESET_ID: 1, NAME: title, RQ_INN: inn },
      });
      made.push(id);
    }
    await resolver.resolve(change, { ref: 'p@1' });
    const [out] = await delivery.deliver([inn]);
    expect(out).toMatchObject({ status: 'synced', twins: [made[1]], adopted: expect.arrayContaining(['c']) });
    expect(
      sb.portal.store
        .all('company')
        .filter((x) => x.fields.ORIGIN_ID === inn)
        .map((x) => x.id),
    ).toEqual([made[0]]);
    expect(sb.portal.store.get('company', made[0]!)!.fields).toMatchObject({
      TITLE: 'Как ввёл менеджер',
      COMMENTS: 'VIP',
    });
    const findings = [];
    for await (const [key, v] of store.iterate('crmFindings')) findings.push([key, v.kind]);
    expect(findings).toEqual(
      expect.arrayContaining([
        [`twins|${inn}`, 'twins'],
        [`conflict|${inn}|c|TITLE`, 'conflict'],
      ]),
    );
    const csv = formatFindings(
      await (async () => {
        const o = [];
        for await (const [, v] of store.iterate('crmFindings', { prefix: 'twins|' })) o.push(v);
        return o;
      })(),
      ['inn', 'adoptedId', 'twinIds'],
      'csv',
    );
    expect(csv).toBe(`inn,adoptedId,twinIds\n${inn},${made[0]},${made[1]}\n`);
  });

  it('starts from a state written before per-entity tracking without re-sending what it marks as synced', async () => {
    const { store, resolver, delivery } = setup();
    const change = partners(5)[4]!;
    const inn = change.company.requisite.inn;
    await resolver.resolve(change, { ref: 'p@1' });
    await delivery.deliver([inn]);
    // The earlier release's record: ids and the aggregate hash, no record of what each entity was sent.
    const entry = (await store.get('crmIds', inn))!;
    const { sent: _sent, ...legacyIds } = entry.delivery!.ids!;
    await store.batch([
      { type: 'put', ns: 'crmIds', key: inn, value: { ...entry, delivery: { ...entry.delivery!, ids: legacyIds } } },
    ]);
    sb.portal.resetCounters();
    // A later record adds a contact: only that contact is created; nothing already synced is re-sent.
    const more: CanonicalChange = {
      ...change,
      contacts: [
        ...change.contacts,
        {
          ...change.contacts[0]!,
          sourceId: 'C-new',
          lastName: 'Новикова',
          firstName: 'Нина',
          middleName: undefined,
          emails: ['nina.new@example.ru'],
          phones: [],
        },
      ],
    };
    await resolver.resolve(more, { ref: 'p@2' });
    const [out] = await delivery.deliver([inn]);
    expect(out!.status).toBe('synced');
    const used = sb.portal.counters.commandsByMethod;
    expect(Object.keys(used).filter((m) => m.endsWith('.update'))).toEqual([]);
    expect(sb.portal.counters.writes).toBe(1);
  });

  it('removes the companies of one load deleted at every source in shared batches, not a request each', async () => {
    const { resolver, delivery } = setup();
    const changes = partners(9).slice(6);
    for (const [i, c] of changes.entries()) await resolver.resolve(c, { ref: `p@${i}` });
    await delivery.deliver(changes.map((c) => c.company.requisite.inn));
    for (const [i, c] of changes.entries()) {
      await resolver.resolve(
        {
          kind: 'delete',
          entity: 'company',
          source: c.company.source,
          sourceId: c.company.sourceId,
          changedAt: '2030-01-01T00:00:00Z',
        },
        { ref: `p@${10 + i}` },
      );
    }
    sb.portal.resetCounters();
    const out = await delivery.deliver(changes.map((c) => c.company.requisite.inn));
    expect(out.map((o) => o.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(changes.map((c) => originCount('company', c.company.requisite.inn))).toEqual([0, 0, 0]);
    expect(sb.portal.counters.commandsByMethod['crm.company.delete']).toBe(3);
    expect(sb.portal.counters.requests).toBe(1);
  });

  it('while a load keeps the portal busy, companies asked for one by one wait to share the next load', async () => {
    const { resolver, delivery, loader } = setup({ minCompanies: 10, gatherMs: 60_000 });
    const changes = partners(14).slice(9);
    for (const [i, c] of changes.entries()) await resolver.resolve(c, { ref: `p@${i}` });
    const sizes: number[] = [];
    const load = loader.load.bind(loader);
    loader.load = (companies) => {
      sizes.push(companies.length);
      return load(companies);
    };
    const inns = changes.map((c) => c.company.requisite.inn);
    const first = delivery.deliver([inns[0]!]); // nothing running: goes at once
    // The rest arrive one by one while the first load runs: with fewer than 10 waiting they gather,
    // and go together once the first load is done (a load running no more).
    const rest = inns.slice(1).map((inn) => delivery.deliver([inn]));
    await Promise.all([first, ...rest]);
    expect(sizes).toEqual([1, 4]);
    expect(inns.map((inn) => originCount('company', inn))).toEqual([1, 1, 1, 1, 1]);
  });
});
