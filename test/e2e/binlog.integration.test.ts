import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { loadConfigFile, resolveConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { runService } from '../../src/runtime/service.js';
import type { StoredEntity } from '../../src/sandbox/bitrix24/store.js';
import { cli } from '../support/cli.js';
import { mysqlUrl } from '../support/inject.js';
import { binlogServer, type BinlogServer } from '../support/mysql-binlog.js';
import { freePorts } from '../support/net.js';
import { tcpProxy } from '../support/tcp-proxy.js';
import { deploy, type Deployment } from '../support/pipeline-fixture.js';
import { topologies } from '../../topologies/index.js';

/**
 * The CRM's content without what differs between two portals by construction: record ids, the
 * portal's own dates, multifield row ids. References (COMPANY_ID, ENTITY_ID) become the
 * company's ORIGIN_ID (its INN), so two runs compare record by record.
 */
function content(d: Deployment): Record<string, string[]> {
  const store = d.sandbox.portal.store;
  const origin = new Map(store.all('company').map((c) => [String(c.id), String(c.fields.ORIGIN_ID)]));
  const contactKey = new Map(
    store.all('contact').map((c) => [String(c.id), `${c.fields.LAST_NAME} ${c.fields.NAME} ${c.fields.SECOND_NAME}`]),
  );
  const view = (e: StoredEntity) => {
    const fields = Object.fromEntries(
      Object.entries(e.fields)
        .filter(([k]) => k !== 'ID' && !k.startsWith('DATE_'))
        .map(([k, v]) => [
          k,
          k === 'COMPANY_ID' || k === 'ENTITY_ID' ? (origin.get(String(v)) ?? contactKey.get(String(v)) ?? v) : v,
        ]),
    );
    const multi = Object.fromEntries(
      Object.entries(e.multi).map(([k, rows]) => [k, (rows ?? []).map((r) => `${r.VALUE_TYPE}:${r.VALUE}`).sort()]),
    );
    return JSON.stringify({ fields: Object.fromEntries(Object.entries(fields).sort()), multi });
  };
  return Object.fromEntries(
    (['company', 'contact', 'requisite', 'bankdetail'] as const).map((kind) => [
      kind,
      store.all(kind).map(view).sort(),
    ]),
  );
}

const run = async (d: Deployment) =>
  runService({
    topologies,
    names: ['shop-a', 'shop-b'],
    config: await loadConfigFile(d.configPath, {}),
    once: true,
    logger: silentLogger,
    stop: new AbortController().signal,
  });

/** The service running Shop A until `stop` aborts (a continuous run, as deployed). */
const serve = (config: ReturnType<typeof resolveConfig>, stop: AbortSignal) =>
  runService({ topologies, names: ['shop-a'], config, once: false, logger: silentLogger, stop });

/** The service's /metrics text, '' while it does not answer. */
const metricsText = (port: number) =>
  fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );

describe('both topologies end to end with Shop A in binlog mode', () => {
  let server: BinlogServer;
  let poll: Deployment;
  let binlog: Deployment;
  beforeAll(async () => {
    server = await binlogServer(mysqlUrl());
  });
  afterAll(async () => {
    await poll?.stop();
    await binlog?.stop();
    await server?.stop();
  });

  it('gives the same CRM content as poll mode, and a second run writes nothing', async () => {
    poll = await deploy();
    await run(poll);
    binlog = await deploy({ mysqlServerUrl: server.url, shopA: { mode: 'binlog' } });
    const summary = await run(binlog);

    const c = binlog.ds.truth.counts;
    expect(binlog.sandbox.portal.store.all('company').length).toBe(c.expectedCompanies);
    expect(binlog.sandbox.portal.store.all('contact').length).toBe(c.expectedContacts);
    // The full extract only: nothing changed after its snapshot, so the stream had nothing to add.
    expect((summary.read['shop-a.companies'] ?? 0) + (summary.read['shop-a.contacts'] ?? 0)).toBe(
      c.shopACompanies! + c.shopAContacts!,
    );
    const expected = content(poll);
    expect(expected.company).toHaveLength(c.expectedCompanies!);
    expect(content(binlog)).toEqual(expected);

    const writes = binlog.sandbox.portal.counters.writes;
    const second = await run(binlog);
    expect(binlog.sandbox.portal.counters.writes).toBe(writes);
    expect((second.read['shop-a.companies'] ?? 0) + (second.read['shop-a.contacts'] ?? 0)).toBe(0);
  });

  it('replays with the CLI to a time (the changes since, read again from the binlog) and to earliest (a new full extract), writing nothing', async () => {
    const sql = await mysql.createConnection({ uri: binlog.mysqlUrl, charset: 'UTF8MB4_UNICODE_CI' });
    const shopA = (s: { read: Record<string, number> }) =>
      (s.read['shop-a.companies'] ?? 0) + (s.read['shop-a.contacts'] ?? 0);
    try {
      const [now] = await sql.query('SELECT UNIX_TIMESTAMP() AS s');
      const t = new Date(Number((now as Array<{ s: number }>)[0]!.s) * 1000 + 1000);
      await sleep(1100); // binlog times are whole seconds: the change is in the next one
      await sql.query(
        "UPDATE companies SET address = 'г. Реплей, ул. Бинлога, д. 1', updated_at = NOW() WHERE status = 'active' ORDER BY id LIMIT 1",
      );
      const first = await run(binlog);
      expect(shopA(first)).toBe(1);
      const writes = binlog.sandbox.portal.counters.writes;

      const toTime = await cli('replay', 'shop-a', '--to', t.toISOString(), '--config', binlog.configPath);
      expect(toTime.code, toTime.err).toBe(0);
      expect(toTime.out).toContain('binlog mode: the stream restarts at');
      expect(shopA(await run(binlog))).toBe(1);

      const toEarliest = await cli('replay', 'shop-a', '--to', 'earliest', '--config', binlog.configPath);
      expect(toEarliest.code, toEarliest.err).toBe(0);
      expect(toEarliest.out).toContain('the next run takes a new full extract');
      const c = binlog.ds.truth.counts;
      expect(shopA(await run(binlog))).toBe(c.shopACompanies! + c.shopAContacts!);
      expect(binlog.sandbox.portal.counters.writes).toBe(writes);
    } finally {
      await sql.end();
    }
  });

  it("exports the lag series the dashboard's lag panel reads, for the binlog source", async () => {
    const [port] = (await freePorts(1)) as [number];
    const config = resolveConfig({ ...binlog.config, metrics: { port, host: '127.0.0.1' } }, {});
    const stop = new AbortController();
    const running = serve(config, stop.signal);
    let line: string | undefined;
    try {
      for (let i = 0; line === undefined && i < 300; i++) {
        const text = await metricsText(port);
        line = text.split('\n').find((l) => l.startsWith('crm_unify_source_lag_seconds{source="shop-a.binlog"}'));
        if (line === undefined) await sleep(100);
      }
    } finally {
      stop.abort();
      await running;
    }
    // Caught up and everything acked: the panel's max by (source) shows 0 for it.
    expect(line).toBe('crm_unify_source_lag_seconds{source="shop-a.binlog"} 0');
  });

  it("waits out a lost binlog connection under the service's outage policy: /healthz shows the stream down, then running, and the changes made meanwhile arrive once", async () => {
    const [port, proxyPort] = (await freePorts(2)) as [number, number];
    const direct = new URL(binlog.mysqlUrl);
    const proxy = tcpProxy(proxyPort, { host: direct.hostname, port: Number(direct.port || 3306) });
    await proxy.up();
    const via = new URL(binlog.mysqlUrl);
    via.host = `127.0.0.1:${proxyPort}`;
    const sources = binlog.config.sources as { shopA: Record<string, unknown> };
    const config = resolveConfig(
      {
        ...binlog.config,
        metrics: { port, host: '127.0.0.1' },
        runtime: { ...(binlog.config.runtime as object), connectRetryBaseMs: 100, connectRetryMaxMs: 500 },
        sources: { ...sources, shopA: { ...sources.shopA, mysql: via.toString() } },
      },
      {},
    );
    const sql = await mysql.createConnection({ uri: binlog.mysqlUrl, charset: 'UTF8MB4_UNICODE_CI' });
    const stop = new AbortController();
    const running = serve(config, stop.signal);
    const state = async () => {
      const h = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.json() as Promise<{ components: Record<string, { state: string }> }>,
        () => undefined,
      );
      return h?.components['source:shop-a.binlog']?.state;
    };
    /** Rows the binlog phase has mapped so far (each row read passes the map stage once). */
    const mapped = async () => {
      const text = await metricsText(port);
      return text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('crm_unify_records_total{') &&
            l.includes('source="shop-a.binlog"') &&
            l.includes('stage="map"'),
        )
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    const until = async (what: () => Promise<boolean>, label: string) => {
      for (let i = 0; !(await what()); i++) {
        if (i === 300) throw new Error(`timed out waiting for ${label}`);
        await sleep(100);
      }
    };
    const touch = (n: number) =>
      sql.query(
        "UPDATE companies SET address = CONCAT('г. Обрыв, д. ', ?), updated_at = NOW() WHERE status = 'active' ORDER BY id LIMIT 1",
        [n],
      );
    let summary;
    try {
      // A change read first: the stream itself (not only the start check) is running when cut.
      await touch(0);
      await until(async () => (await state()) === 'running' && (await mapped()) >= 1, 'the stream running');
      await proxy.down();
      await until(async () => (await state()) === 'backing-off', 'the stream shown down');
      // Two transactions committed while the stream cannot reach the server.
      await touch(1);
      await touch(2);
      await proxy.up();
      await until(
        async () => (await state()) === 'running' && (await mapped()) >= 3,
        'the stream running again with both changes read',
      );
      // A change after the outage: anything of the outage read twice would come before it.
      await touch(3);
      await until(async () => (await mapped()) >= 4, 'the change after the outage');
    } finally {
      stop.abort();
      summary = await running;
      await proxy.down();
      await sql.end();
    }
    expect(summary.read['shop-a.companies']).toBe(4);
  });
});
