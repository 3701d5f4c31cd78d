import { lastValueFrom, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySource } from '../../connectors/memory/memory.source.js';
import type { Envelope } from '../../core/envelope.js';
import { fromPullSource } from '../../core/pull-source.js';
import type { StageHooks } from '../../core/stage.js';
import { generate, scales } from '../../gen/dataset.js';
import type { CanonicalChange } from '../../model/index.js';
import { mapStage, type Mapper } from '../stages/map.stage.js';
import { eventMapper, exits, oddThrows, partnerMapper } from './fixtures.js';
import { acquireMapThread, releaseMapThread, type MapThread } from './map-thread.js';
import { portable } from './portable.js';

const ds = generate({ ...scales.seed, shopACompanies: 30, shopBCompanies: 200, overlap: 10 }, 3);
const events = ds.shopB.events.map((e) => new Uint8Array(Buffer.from(e.value)));

let thread: MapThread | undefined;
afterEach(() => {
  if (thread) releaseMapThread(thread);
  thread = undefined;
});

/** Runs items through a map stage over the memory source; what it emits and what it rejected, in order. */
async function runStage<T>(items: T[], mapper: Mapper<T>, onThread: boolean) {
  const rejected: Array<{ reason: string; detail: string }> = [];
  let acked = 0;
  const hooks: StageHooks = { rejects: { reject: async (_env, reason, detail) => { rejected.push({ reason, detail }); } } };
  const source = new MemorySource(items, { name: 'test' });
  const out = await lastValueFrom(fromPullSource(source, { maxInFlight: 64 }).pipe(
    mapStage(mapper, hooks, undefined, { thread: onThread }), tap((env) => {
      env.ack(); // the source's credit comes back with each ack
      acked++;
    }), toArray()), { defaultValue: [] as Envelope<CanonicalChange>[] });
  return { values: out.map((e) => e.value), positions: out.map((e) => e.position), rejected, acked };
}

describe('map thread', () => {
  it('gives exactly the outcomes of the mapper run inline, in order, for dump partners and Kafka events', async () => {
    thread = acquireMapThread();
    const partners = await Promise.all(ds.shopB.dump.map((p) => thread!.map(partnerMapper, p)));
    expect(partners).toEqual(ds.shopB.dump.map((p) => partnerMapper(p)));
    const decoded = await Promise.all(events.map((v) => thread!.map(eventMapper, v)));
    expect(decoded).toEqual(events.map((v) => eventMapper(v)));
    expect(decoded.length).toBeGreaterThan(20);
  });

  it('as a stage: the same records downstream in the same order, the same rejects with the same reasons, as inline', async () => {
    const inline = await runStage(ds.shopB.dump, partnerMapper, false);
    const threaded = await runStage(ds.shopB.dump, partnerMapper, true);
    expect(threaded).toEqual(inline);
    expect(threaded.values.length).toBeGreaterThan(100);
  });

  it('a mapper that throws rejects that record as MALFORMED_RECORD with its message, as inline, and the others go on', async () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const threaded = await runStage(items, oddThrows, true);
    expect(threaded).toEqual(await runStage(items, oddThrows, false));
    expect(threaded.rejected).toHaveLength(25);
    expect(threaded.rejected[0]).toEqual({ reason: 'MALFORMED_RECORD', detail: 'map: cannot read properties of record 1' });
    expect(threaded.values.map((v) => (v.kind === 'delete' ? v.sourceId : ''))).toEqual(items.filter((i) => i % 2 === 0).map(String));
  });

  it('a thread that dies fails the topology (retriable) instead of rejecting the records it held', async () => {
    const run = runStage([1, 2, 3], exits, true);
    await expect(run).rejects.toMatchObject({ code: 'TOPOLOGY_FAILED', message: expect.stringContaining('map thread stopped') });
    // The next stage to use a thread gets a new one.
    thread = acquireMapThread();
    expect(await thread.map(oddThrows, 2)).toMatchObject({ ok: true });
  });
});

describe('portable (what crosses to the map thread)', () => {
  it('copies views into larger buffers down to their own bytes, and nothing else', () => {
    const big = Buffer.from('0123456789abcdef');
    const view = big.subarray(4, 8);
    const row = { table: 'companies', row: { id: 1, name: view, at: new Date(0), tags: ['x', view] } };
    const p = portable(row) as typeof row;
    expect(p).not.toBe(row);
    expect(Buffer.from(p.row.name).toString()).toBe('4567');
    expect(p.row.name.buffer.byteLength).toBe(4);
    expect(Buffer.from(p.row.tags[1] as Uint8Array).toString()).toBe('4567');
    expect(p.row.at).toBe(row.row.at);
    expect(row.row.name).toBe(view); // the source's record is not touched
    const plain = { table: 'contacts', row: { id: 2, name: 'Иванов', bytes: new Uint8Array([1, 2]) } };
    expect(portable(plain)).toBe(plain);
  });
});
