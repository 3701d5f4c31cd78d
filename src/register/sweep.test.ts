import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, scales } from '../gen/dataset.js';
import type { CanonicalChange, Reject } from '../model/index.js';
import type { Envelope } from '../core/envelope.js';
import { StateRejectSink } from '../pipeline/state-rejects.js';
import { rejectParkedContacts } from '../runtime/parked.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { goldenContacts, listRejects, rejectOps } from '../state/helpers.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { foundLoader } from './load-found.js';
import { listFound } from './not-found.js';
import { pacedRechecker, sweepBucket } from './paced.js';
import { listRegisterChanges, RegisterRefresh } from './refresh.js';
import { activePartners as fixtureActivePartners, serviceParts } from './fixtures.js';
import { StatusField } from './status-field.js';
import { RegisterSweep, SWEEP_CURSOR_KEY } from './sweep.js';

const FIELD = 'UF_CRM_REGISTER_STATUS';
const DAY = 86_400_000;
const ds = generate(scales.small, 5);
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ registry: ds.registry, rate: Number.POSITIVE_INFINITY, egrulLatencyMs: 0 });
});
afterAll(() => sb.stop());

const activePartners = (n: number) => fixtureActivePartners(ds, n);

/** What a service holds: state, the pipeline's verifier (register cache), resolver and delivery. */
function setup() {
  const { store, resolver, crmConfig, client, delivery, registry, verifier, metrics } = serviceParts(sb, {
    cacheTtlDays: 1,
    sweep: { batch: 4 },
  });
  const asked: string[] = [];
  /** A service's sweep (a new one per "process"), at `now`; `stopAfter` batches it is stopped as SIGTERM would. */
  const sweep = async (now: Date, o: { stopAfter?: number; cacheTtlDays?: number } = {}) => {
    const counting = {
      recheck: (inn: string) => {
        asked.push(inn);
        return verifier.recheck(inn);
      },
    };
    const refresh = new RegisterRefresh({
      store,
      verifier: pacedRechecker(counting, sweepBucket(registry.rate, registry.sweep.share)),
      client,
      field: new StatusField(client, FIELD),
      batchSize: crmConfig.batchSize,
      retry: { baseMs: 5, maxMs: 20 },
      metrics,
      now: () => now,
      correct: true,
    });
    const stop = new AbortController();
    let batches = 0;
    return new RegisterSweep({
      store,
      refresh,
      config: { ...registry, cacheTtlDays: o.cacheTtlDays ?? registry.cacheTtlDays },
      now: () => now,
      load: foundLoader(resolver, delivery),
      onBatch: () => {
        if (++batches === o.stopAfter) stop.abort();
      },
    }).pass(stop.signal);
  };
  return { store, resolver, delivery, verifier, asked, sweep };
}

/** A golden company's active contacts, and how many of them the CRM holds under its CRM company. */
async function crmCompanyOf(store: MemoryStateStore, inn: string): Promise<{ contacts: number; inCrm: number }> {
  const crmId = String((await store.get('crmIds', inn))?.company);
  let contacts = 0;
  for await (const c of goldenContacts(store, inn)) if (c.status === 'active') contacts++;
  return {
    contacts,
    inCrm: sb.portal.store.all('contact').filter((c) => String(c.fields.COMPANY_ID) === crmId).length,
  };
}

const marked = (): Record<string, string> =>
  Object.fromEntries(
    sb.portal.store
      .all('company')
      .filter((c) => c.fields[FIELD])
      .map((c) => [String(c.id), c.fields[FIELD] as string]),
  );

describe('the register sweep against the sandbox (issue 19)', () => {
  it('marks exactly the companies that left the register, lists the ones it found, writes nothing else, and a stop mid-sweep loses and repeats nothing', async () => {
    const { store, resolver, delivery, verifier, asked, sweep } = setup();
    const [loaded, unknown] = [activePartners(13).slice(0, 10), activePartners(13).slice(10)];
    expect(unknown).toHaveLength(3);
    // load ten companies as the pipeline does; three more the register does not list yet are rejected
    const t0 = Date.now();
    for (const [i, change] of loaded.entries()) {
      expect((await verifier.verify(change.company.requisite.inn)).ok).toBe(true);
      await resolver.resolve(change, { ref: `p@${i}` });
    }
    const inns = loaded.map((c) => c.company.requisite.inn);
    expect((await delivery.deliver(inns)).every((o) => o.status === 'synced')).toBe(true);
    const newInns = unknown.map((c) => c.company.requisite.inn);
    sb.egrul.upsertRegistry(Object.fromEntries(newInns.map((inn) => [inn, null])));
    const sink = new StateRejectSink(store, undefined, () => new Date(t0));
    for (const [i, change] of unknown.entries()) {
      const v = await verifier.verify(change.company.requisite.inn);
      expect(v).toMatchObject({ ok: false, reason: 'EGRUL_NOT_FOUND' });
      if (v.ok) continue;
      const env: Envelope<CanonicalChange> = {
        value: change,
        source: 'shop-b.partners',
        position: { partition: '0', offset: BigInt(20 + i) },
        ack: () => {},
        nack: () => {},
      };
      // the second as a reject recorded before rejects kept their record: it can only be listed
      if (i === 1)
        await store.batch(
          rejectOps({
            reason: v.reason,
            detail: v.detail,
            source: env.source,
            sourceId: change.company.sourceId,
            position: '0@21',
            at: new Date(t0).toISOString(),
          }),
        );
      else await sink.reject(env, v.reason, v.detail, change.company.sourceId);
    }
    const companiesBefore = sb.portal.store.all('company').length;

    // the register: three loaded companies leave it, two of the unknown ones are registered now
    const gone = { [inns[1]!]: 'LIQUIDATED', [inns[4]!]: 'BANKRUPT', [inns[8]!]: 'LIQUIDATING' };
    sb.egrul.upsertRegistry({
      ...Object.fromEntries(
        Object.entries(gone).map(([inn, status]) => [inn, { ...ds.registry[inn]!, status: status as 'LIQUIDATED' }]),
      ),
      [newInns[0]!]: ds.registry[newInns[0]!]!,
      [newInns[1]!]: ds.registry[newInns[1]!]!,
    });
    sb.portal.resetCounters();
    sb.egrul.resetCounters();
    const ids = await Promise.all(inns.map(async (inn) => (await store.get('crmIds', inn))?.company));

    // two days on: every loaded answer is past its TTL (1 day here), the not-found rejects are due (1 day)
    const t1 = new Date(t0 + 2 * DAY);
    const first = await sweep(t1, { stopAfter: 1 }); // SIGTERM after the first batch
    expect(first).toMatchObject({ expired: 4, notFound: 0 });
    expect(await store.get('positions', SWEEP_CURSOR_KEY)).toBeDefined();
    const second = await sweep(t1); // the next process resumes from the cursor
    expect(second).toMatchObject({ expired: 6, notFound: 3, found: 2, loaded: 1, failed: 0 });
    expect(await store.get('positions', SWEEP_CURSOR_KEY)).toBeUndefined(); // the sweep went through: the next starts over

    // each company asked once: the ten loaded, the three rejected
    expect([...asked].sort()).toEqual([...inns, ...newInns].sort());
    expect(sb.egrul.counters.requests).toBe(13);
    const day = t1.toISOString().slice(0, 10);
    expect(marked()).toEqual({
      [ids[1]!]: `LIQUIDATED ${day}`,
      [ids[4]!]: `BANKRUPT ${day}`,
      [ids[8]!]: `LIQUIDATING ${day}`,
    });
    // the company found with its record kept is loaded, with its contacts; the other waits for a replay
    const loadedNew = await crmCompanyOf(store, newInns[0]!);
    expect(loadedNew.contacts).toBeGreaterThan(0);
    expect(loadedNew.inCrm).toBe(loadedNew.contacts);
    expect(await store.get('crmIds', newInns[1]!)).toBeUndefined();
    // nothing else written: the field, once, one update per marked company, and the new company's creates
    expect(sb.portal.store.all('company').length).toBe(companiesBefore + 1);
    const { 'crm.company.update': updates, ...others } = sb.portal.counters.commandsByMethod;
    expect(updates).toBe(3);
    expect(others).toMatchObject({ 'crm.company.userfield.list': 1, 'crm.company.userfield.add': 1 });
    expect(Object.keys(others).filter((m) => !/\.(add|import|batchimport|list|get|fields)$/i.test(m))).toEqual([]);
    const log = await listRegisterChanges(store);
    expect(log.map((c) => [c.inn, c.from, c.to, c.crm]).sort()).toEqual(
      [
        ...Object.entries(gone).map(([inn, to]) => [inn, 'ACTIVE', to, 'written']),
        [newInns[0], 'NOT_FOUND', 'ACTIVE', 'none'],
        [newInns[1], 'NOT_FOUND', 'ACTIVE', 'none'],
      ].sort(),
    );

    // the rejects of the two found companies are closed, kept with why; the third counts one check
    const rejects: Reject[] = [];
    for await (const r of listRejects(store, { reason: 'EGRUL_NOT_FOUND' })) rejects.push(r);
    const of = (inn: string) => rejects.find((r) => r.detail.startsWith(`INN ${inn} `))!;
    expect(of(newInns[0]!).resolved).toMatchObject({
      at: t1.toISOString(),
      detail: expect.stringMatching(/lists INN \d+ as ACTIVE.*loaded by the register sweep/),
    });
    expect(of(newInns[1]!).resolved).toMatchObject({
      at: t1.toISOString(),
      detail: expect.stringMatching(/lists INN \d+ as ACTIVE.*shop-b\.partners reads it again/),
    });
    expect(of(newInns[2]!)).toMatchObject({ rechecks: { count: 1, at: t1.toISOString() } });
    expect(of(newInns[2]!).resolved).toBeUndefined();
    expect((await listFound(store)).map((f) => [f.inn, f.loaded]).sort()).toEqual(
      [
        [newInns[0], true],
        [newInns[1], false],
      ].sort(),
    );

    // a sweep at once asks nothing: the loaded answers are fresh, the next step of the back-off is 3 days
    asked.length = 0;
    expect(await sweep(t1)).toMatchObject({ expired: 0, notFound: 0, checked: 0 });
    expect(asked).toEqual([]);
    // two days later (30-day TTL): only the last unknown company, its second check, still not found
    expect(await sweep(new Date(t0 + 4 * DAY), { cacheTtlDays: 30 })).toMatchObject({
      expired: 0,
      notFound: 1,
      found: 0,
      checked: 1,
    });
    expect(asked).toEqual([newInns[2]]);
    for await (const r of listRejects(store, { reason: 'EGRUL_NOT_FOUND' }))
      if (r.detail.startsWith(`INN ${newInns[2]} `)) expect(r.rechecks?.count).toBe(2);

    // a replay of the other found company's source record loads it, with its contacts, from the cached answer
    sb.egrul.resetCounters();
    const replayed = unknown[1]!;
    expect((await verifier.verify(replayed.company.requisite.inn)).ok).toBe(true);
    expect(sb.egrul.counters.requests).toBe(0);
    await resolver.resolve(replayed, { ref: '0@21' });
    expect((await delivery.deliver([replayed.company.requisite.inn]))[0]).toMatchObject({ status: 'synced' });
    const again = await crmCompanyOf(store, newInns[1]!);
    expect(again.inCrm).toBe(again.contacts);
    expect((await listFound(store)).every((f) => f.loaded)).toBe(true);
  });

  it('a found company loaded by the sweep takes along the contacts parked on it (Shop A: contacts are records of their own)', async () => {
    const { store, resolver, delivery, verifier, sweep } = setup();
    const p = activePartners(16)[15]!;
    const inn = p.company.requisite.inn;
    const company: CanonicalChange = { kind: 'company', company: p.company, contacts: [] };
    const contact: CanonicalChange = {
      kind: 'contact',
      contact: { ...p.contacts[0]!, company: { source: p.company.source, sourceId: p.company.sourceId } },
    };
    // the contact arrives first and is parked; its company is not in the register yet
    expect((await resolver.resolve(contact, { ref: '1@1' })).outcome).toBe('parked');
    sb.egrul.upsertRegistry({ [inn]: null });
    const v = await verifier.verify(inn);
    expect(v).toMatchObject({ ok: false, reason: 'EGRUL_NOT_FOUND' });
    const t0 = Date.now();
    const env: Envelope<CanonicalChange> = {
      value: company,
      source: 'shop-a.companies',
      position: { partition: 'companies', offset: 7n },
      ack: () => {},
      nack: () => {},
    };
    if (!v.ok)
      await new StateRejectSink(store, undefined, () => new Date(t0)).reject(
        env,
        v.reason,
        v.detail,
        p.company.sourceId,
      );
    // the end of a --once run rejects the contact still parked (it stays parked too)
    expect(await rejectParkedContacts(store)).toBe(1);

    sb.egrul.upsertRegistry({ [inn]: ds.registry[inn]! });
    expect(await sweep(new Date(t0 + DAY + 1))).toMatchObject({ notFound: 1, found: 1, loaded: 1, failed: 0 });
    expect(await crmCompanyOf(store, inn)).toEqual({ contacts: 1, inCrm: 1 });
    expect((await listFound(store)).map((f) => [f.inn, f.source, f.position, f.loaded])).toEqual([
      [inn, 'shop-a.companies', 'companies@7', true],
    ]);
    expect(await delivery.deliver([inn])).toMatchObject([{ status: 'unchanged' }]);
    const contactRejects: Reject[] = [];
    for await (const r of listRejects(store, { reason: 'COMPANY_REJECTED' })) contactRejects.push(r);
    expect(contactRejects).toMatchObject([
      {
        sourceId: p.contacts[0]!.sourceId,
        resolved: { detail: expect.stringMatching(/loaded by the register sweep; the contact is attached/) },
      },
    ]);
  });
  it('sets right the marks the CRM does not show: loaded while reorganising, cleared by a person, or left on a company active now; nothing else', async () => {
    const { store, resolver, delivery, verifier, sweep } = setup();
    const changes = activePartners(23).slice(16);
    expect(changes).toHaveLength(7);
    const inns = changes.map((c) => c.company.requisite.inn);
    const [reorganising, cleared, stale, dated] = inns;
    // one company is loaded while the register already lists it as reorganising (let in, with a warning)
    sb.egrul.upsertRegistry({ [reorganising!]: { ...ds.registry[reorganising!]!, status: 'REORGANIZING' } });
    const t0 = Date.now();
    for (const [i, change] of changes.entries()) {
      expect((await verifier.verify(change.company.requisite.inn)).ok).toBe(true);
      await resolver.resolve(change, { ref: `c@${i}` });
    }
    expect((await delivery.deliver(inns)).every((o) => o.status === 'synced')).toBe(true);
    const ids = await Promise.all(inns.map(async (inn) => String((await store.get('crmIds', inn))?.company)));
    const field = (i: number): unknown => sb.portal.store.get('company', Number(ids[i]))?.fields[FIELD] ?? '';
    const setField = (i: number, value: string) => {
      const c = sb.portal.store.get('company', Number(ids[i]))!;
      sb.portal.store.put('company', { ...c, fields: { ...c.fields, [FIELD]: value } });
    };

    // the register liquidates two; the first sweep marks them, and the reorganising one, whose status did not change
    sb.egrul.upsertRegistry({
      [cleared!]: { ...ds.registry[cleared!]!, status: 'LIQUIDATED' },
      [dated!]: { ...ds.registry[dated!]!, status: 'LIQUIDATED' },
    });
    const t1 = new Date(t0 + 2 * DAY);
    const day1 = t1.toISOString().slice(0, 10);
    expect(await sweep(t1)).toMatchObject({
      expired: 7,
      changed: { LIQUIDATED: 2 },
      written: 3,
      corrected: 1,
      failed: 0,
    });
    expect([field(0), field(1), field(3)]).toEqual([
      `REORGANIZING ${day1}`,
      `LIQUIDATED ${day1}`,
      `LIQUIDATED ${day1}`,
    ]);

    // people edit the field: one mark cleared, a stale mark put on an active company, a note added after a mark
    setField(1, '');
    setField(2, `BANKRUPT ${day1}`);
    setField(3, `LIQUIDATED ${day1} звонили, не отвечают`);
    sb.portal.resetCounters();
    const t2 = new Date(t0 + 4 * DAY);
    const report = await sweep(t2);
    expect(report).toMatchObject({ expired: 7, changed: {}, written: 2, corrected: 2, failed: 0 });
    expect([field(0), field(1), field(2), field(3)]).toEqual([
      `REORGANIZING ${day1}`,
      `LIQUIDATED ${t2.toISOString().slice(0, 10)}`,
      '',
      `LIQUIDATED ${day1} звонили, не отвечают`,
    ]);
    // read in bulk (one list per batch of 4 and of 3), written only where the field was wrong (a new process lists the field once)
    expect(sb.portal.counters.commandsByMethod).toEqual({
      'crm.company.list': 2,
      'crm.company.userfield.list': 1,
      'crm.company.update': 2,
    });
    const log = (await listRegisterChanges(store, t2.toISOString())).map((c) => [
      c.inn,
      c.from,
      c.to,
      c.value,
      c.crm,
      c.detail,
    ]);
    expect(log.sort()).toEqual(
      [
        [
          cleared,
          'LIQUIDATED',
          'LIQUIDATED',
          `LIQUIDATED ${t2.toISOString().slice(0, 10)}`,
          'written',
          'the CRM field showed ""',
        ],
        [stale, 'ACTIVE', 'ACTIVE', '', 'written', `the CRM field showed "BANKRUPT ${day1}"`],
      ].sort(),
    );
    // all in agreement now: the next sweep reads and writes nothing more
    sb.portal.resetCounters();
    expect(await sweep(new Date(t0 + 6 * DAY))).toMatchObject({ expired: 7, written: 0, corrected: 0 });
    expect(sb.portal.counters.commandsByMethod).toEqual({ 'crm.company.list': 2 });
  });
});
