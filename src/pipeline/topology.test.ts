import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bitrix24ConfigSchema } from '../connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../connectors/egrul/config.js';
import { MemorySource } from '../connectors/memory/memory.source.js';
import { parseConfig } from '../core/config.js';
import { silentLogger } from '../core/logger.js';
import { generate, scales } from '../gen/dataset.js';
import { mapPartner } from '../mappers/index.js';
import { createMetrics } from '../metrics/metrics.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { buildPipelineDeps } from './build-deps.js';
import type { Chain } from './stage-kit.js';
import { describeTopology, formatDescription, phase, runTopology } from './topology.js';

const ds = generate(scales.small, 3);
let sb: Sandbox;
// Slow portal answers: a group's deliveries outlast its reading and resolving by far.
beforeAll(async () => {
  sb = await startSandbox({
    registry: ds.registry,
    rate: 1000,
    burst: 1000,
    faults: 'latency=300-350',
    egrulLatencyMs: 1,
  });
});
afterAll(() => sb.stop());

function deps() {
  return buildPipelineDeps({
    store: new MemoryStateStore(),
    crm: parseConfig(Bitrix24ConfigSchema, { webhookUrl: sb.webhookUrl, rate: 1000, burst: 1000, settleMs: 0 }),
    registry: parseConfig(EgrulConfigSchema, { url: sb.egrulUrl, token: sb.egrulToken, rate: 1000, concurrency: 8 }),
    metrics: createMetrics(undefined, { defaultMetrics: false }),
    logger: silentLogger,
    load: { windowMs: 20, maxRecords: 500 },
  });
}

const partners = ds.shopB.dump.slice(0, 30);
const partnerChain: Chain<unknown> = (records, s) => records.pipe(s.map(mapPartner), s.verify(), s.resolve(), s.load());
const dumpPhase = (name: string, items = partners) =>
  phase({ name, chain: partnerChain, open: async () => ({ source: new MemorySource(items, { name }) }) });

describe('runTopology', () => {
  it("starts a group once the group before it is resolved, while that group's deliveries still run", async () => {
    const d = deps();
    const events: string[] = [];
    const deliver = d.delivery.deliver.bind(d.delivery);
    d.delivery.deliver = async (inns) => {
      const out = await deliver(inns);
      events.push('delivered');
      return out;
    };
    let firstWhenLaterOpened: string | undefined;
    const later = phase({
      name: 'later',
      chain: partnerChain,
      open: async () => {
        firstWhenLaterOpened = d.health.report().components['source:first']?.state;
        events.push('later opened');
        return { source: new MemorySource(ds.shopB.dump.slice(30, 35), { name: 'later' }) };
      },
    });
    await runTopology({ name: 't', groups: [[dumpPhase('first')], [later]] }, d, new AbortController().signal);
    // The first group was resolved but still delivering (not drained) when the later one opened.
    expect(firstWhenLaterOpened).toBe('running');
    expect(events.indexOf('later opened')).toBeLessThan(events.lastIndexOf('delivered'));
    expect(d.health.report().components['source:first']?.state).toBe('done');
    // Both groups' companies reached the CRM, and nothing is left pending.
    expect((await d.store.stats()).pending).toBe(0);
    expect(sb.portal.store.all('company').length).toBeGreaterThan(20);
  });

  it('fails at once when a phase fails, whether its group is being waited on or already left behind', async () => {
    let opened = false;
    const broken = phase({
      name: 'broken',
      chain: partnerChain,
      open: async () => {
        throw new Error('cannot open the dump');
      },
    });
    const next = phase({
      name: 'next',
      chain: partnerChain,
      open: async () => {
        opened = true;
        return { source: new MemorySource([], { name: 'next' }) };
      },
    });
    await expect(
      runTopology({ name: 't', groups: [[broken], [next]] }, deps(), new AbortController().signal),
    ).rejects.toThrow(/cannot open the dump/);
    expect(opened).toBe(false);
    // A first group that fails only after the second started (its deliveries fail): the run still fails.
    const d = deps();
    d.delivery.deliver = async () => {
      await new Promise((r) => setTimeout(r, 200));
      throw new Error('portal gone');
    };
    const stop = new AbortController();
    const forever = phase({
      name: 'forever',
      chain: partnerChain,
      open: async () => ({ source: new MemorySource(partners, { name: 'forever' }) }),
    });
    await expect(runTopology({ name: 't', groups: [[dumpPhase('first')], [forever]] }, d, stop.signal)).rejects.toThrow(
      /portal gone/,
    );
    stop.abort();
  });
});

describe('describeTopology', () => {
  it("reads each source's chain as composed: a stage left out is not printed, one chain shared by all is printed once", () => {
    const noVerify = phase({
      name: 'b',
      chain: (r, s) => r.pipe(s.map(mapPartner), s.resolve(), s.load()),
      open: async () => ({ source: new MemorySource(partners, { name: 'b' }) }),
    });
    const d = describeTopology({ name: 't', groups: [[dumpPhase('a'), noVerify]] });
    expect(d.sources).toEqual([['a', 'b']]);
    expect(d.chains.a!.map((s) => s.stage)).toEqual(['map', 'verify', 'resolve', 'load']);
    expect(d.chains.b!.map((s) => s.stage)).toEqual(['map', 'resolve', 'load']);
    const text = formatDescription(d);
    expect(text).toContain('sources  a + b');
    expect(text).toContain('a: map(mapPartner) → verify → resolve → load');
    expect(text).toContain('b: map(mapPartner) → resolve → load');
    expect(formatDescription(describeTopology({ name: 'u', groups: [[dumpPhase('a')], [dumpPhase('c')]] }))).toMatch(
      /then\s+c\n\s+chain\s+map\(mapPartner\) → verify → resolve → load\n/,
    );
  });
});
