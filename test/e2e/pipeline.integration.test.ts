import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { loadConfigFile } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { runService } from '../../src/runtime/service.js';
import { listRejects } from '../../src/state/helpers.js';
import { openLevelStore } from '../../src/state/level-store.js';
import type { StateStore } from '../../src/state/store.js';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';
import { testKafka } from '../support/inject.js';
import { topologies } from '../../topologies/index.js';

async function withStore<T>(d: Deployment, fn: (s: StateStore) => Promise<T>): Promise<T> {
  const store = await openLevelStore((d.config.state as { dir: string }).dir);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('both topologies end to end on real Kafka and MySQL and the sandbox', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy();
  });
  afterAll(async () => {
    await d?.stop();
  });

  const run = async () =>
    runService({
      topologies,
      names: ['shop-a', 'shop-b'],
      config: await loadConfigFile(d.configPath, {}),
      once: true,
      logger: silentLogger,
      stop: new AbortController().signal,
    });

  it('loads every expected company and contact exactly once, and a second run writes nothing', async () => {
    const summary = await run();
    const store = d.sandbox.portal.store;
    const companies = store.all('company');
    const contacts = store.all('contact');
    expect(companies.length).toBe(d.ds.truth.counts.expectedCompanies);
    expect(contacts.length).toBe(d.ds.truth.counts.expectedContacts);

    // Exactly once by ORIGIN_ID and by INN; every company has its requisite and bank details.
    const origins = companies.map((c) => c.fields.ORIGIN_ID);
    expect(new Set(origins).size).toBe(origins.length);
    expect(new Set(origins)).toEqual(new Set(d.ds.truth.companies));
    const requisites = store.all('requisite');
    const innsByCompany = new Map<string, Set<string>>();
    for (const r of requisites) {
      const set = innsByCompany.get(String(r.fields.ENTITY_ID)) ?? new Set();
      set.add(String(r.fields.RQ_INN));
      innsByCompany.set(String(r.fields.ENTITY_ID), set);
    }
    for (const c of companies) expect([...(innsByCompany.get(String(c.id)) ?? [])]).toEqual([c.fields.ORIGIN_ID]);
    expect(store.all('bankdetail').length).toBeGreaterThanOrEqual(companies.length);
    const companyIds = new Set(companies.map((c) => String(c.id)));
    for (const c of contacts) expect(companyIds.has(String(c.fields.COMPANY_ID))).toBe(true);
    // Names given in one field (Shop A's full_name, Shop B's whole name in lastName) arrive split:
    // every person of this data has a record naming them in full, so every contact has all three parts.
    expect(
      d.ds.shopB.dump.some((p) => p.contacts.some((c) => c.firstName === null && (c.lastName ?? '').includes(' '))),
    ).toBe(true);
    for (const c of contacts) {
      const [last, first, middle] = [c.fields.LAST_NAME, c.fields.NAME, c.fields.SECOND_NAME].map((v) =>
        String(v ?? ''),
      );
      expect(
        last && first && middle && !last.includes(' ') && !first.includes(' ') && !first.endsWith('.'),
        JSON.stringify(c.fields),
      ).toBeTruthy();
    }

    // Every source record is accounted for, and poison messages went to the DLQ.
    const c = d.ds.truth.counts;
    expect(summary.read['shop-b.dump']).toBe(c.shopBDump);
    expect(summary.read[d.topic]).toBe(c.kafkaEvents);
    // Shop A: the full extract, plus the delta's first pass re-reading its look-back window.
    expect((summary.read['shop-a.companies'] ?? 0) + (summary.read['shop-a.contacts'] ?? 0)).toBeGreaterThanOrEqual(
      c.shopACompanies! + c.shopAContacts!,
    );
    const poison = d.ds.shopB.events.filter((e) => {
      try {
        JSON.parse(e.value);
        return false;
      } catch {
        return true;
      }
    }).length;
    expect(summary.rejected.MALFORMED_RECORD ?? 0).toBeGreaterThanOrEqual(poison);
    const kafkaRejects = await withStore(d, async (st) => {
      let n = 0;
      for await (const r of listRejects(st)) if (r.source === d.topic) n++;
      return n;
    });
    const admin = testKafka().admin();
    await admin.connect();
    const dlq = await admin.fetchTopicOffsets(`${d.topic}.dlq`);
    await admin.disconnect();
    expect(kafkaRejects).toBeGreaterThanOrEqual(poison);
    expect(dlq.reduce((n, p) => n + Number(p.high), 0)).toBe(kafkaRejects);

    const writesAfterFirst = d.sandbox.portal.counters.writes;
    const registerAfterFirst = d.sandbox.egrul.counters.requests;
    const second = await run();
    expect(d.sandbox.portal.counters.writes).toBe(writesAfterFirst);
    expect(d.sandbox.egrul.counters.requests).toBe(registerAfterFirst);
    // Committed positions: the dump and the topic are not read again; Shop A's delta re-reads its look-back window only.
    expect(second.read['shop-b.dump'] ?? 0).toBe(0);
    expect(second.read[d.topic] ?? 0).toBe(0);
    expect(d.sandbox.portal.store.all('company').length).toBe(d.ds.truth.counts.expectedCompanies);
  });

  it('replays to earliest: every record is read again and the CRM sees no write', async () => {
    const writes = d.sandbox.portal.counters.writes;
    const replayA = await cli('replay', 'shop-a', '--to', 'earliest', '--config', d.configPath);
    const replayB = await cli('replay', 'shop-b', '--to', 'earliest', '--config', d.configPath);
    expect(replayA.code, replayA.err).toBe(0);
    expect(replayB.code, replayB.err).toBe(0);
    const summary = await run();
    const c = d.ds.truth.counts;
    expect(summary.read['shop-b.dump']).toBe(c.shopBDump);
    expect(summary.read[d.topic]).toBe(c.kafkaEvents);
    expect((summary.read['shop-a.companies'] ?? 0) + (summary.read['shop-a.contacts'] ?? 0)).toBeGreaterThanOrEqual(
      c.shopACompanies! + c.shopAContacts!,
    );
    expect(d.sandbox.portal.counters.writes).toBe(writes);
  });

  it('exposes state stats and rejects with source, position, reason, detail and time', async () => {
    const stats = await cli('state', 'stats', '--json', '--config', d.configPath);
    expect(stats.code, stats.err).toBe(0);
    const parsed = JSON.parse(stats.out) as { companies: { active: number; pending: number } };
    expect(parsed.companies.active).toBe(d.ds.truth.counts.expectedCompanies);
    expect(parsed.companies.pending).toBe(0);
    const csv = await cli('rejects', 'export', '--format', 'csv', '--reason', 'INVALID_INN', '--config', d.configPath);
    expect(csv.code, csv.err).toBe(0);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe('source,sourceId,position,reason,detail,at,resolved');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.includes(',INVALID_INN,'))).toBe(true);
    const inn = d.ds.truth.companies[0]!;
    const got = await cli('state', 'get', 'company', inn, '--config', d.configPath);
    expect(got.code, got.err).toBe(0);
    expect(JSON.parse(got.out).company.inn).toBe(inn);
  });
});
