import { Subject, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../core/envelope.js';
import type { RejectSink } from '../../core/rejects.js';
import type { CrmDelivery, DeliveryOutcome } from '../../delivery/crm-delivery.js';
import { MemoryStateStore } from '../../state/memory-store.js';
import { CompanySettle } from './company-settle.js';
import { loadBatches, loadStage } from './load.stage.js';
import type { Resolved } from './resolve.stage.js';

/** A delivery that records its rounds and settles each when told to. */
function recordingDelivery() {
  const rounds: Array<{ inns: string[]; done: () => void }> = [];
  const delivery = {
    deliver: (inns: readonly string[]) =>
      new Promise<DeliveryOutcome[]>((resolve) => {
        rounds.push({
          inns: [...inns],
          done: () => resolve(inns.map((inn) => ({ inn, status: 'synced' as const, writes: 1 }))),
        });
      }),
  } as unknown as CrmDelivery;
  return { rounds, delivery };
}

const noRejects: RejectSink = { reject: async () => {} };

function record(n: number, companies: string[], acked: number[]): Envelope<Resolved> {
  return {
    value: { result: { outcome: 'created', companies, contacts: [], pending: [], merges: [] } } as unknown as Resolved,
    position: { partition: '0', offset: BigInt(n) },
    source: 'test',
    ack: () => acked.push(n),
    nack: () => {},
  } as Envelope<Resolved>;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await tick(10);
  expect(cond()).toBe(true);
}

/** A load stage over a recording delivery: feed `input`, watch `rounds` and `acked`, await `done`. */
function stageUnderTest(settleMs: number) {
  const { rounds, delivery } = recordingDelivery();
  const input = new Subject<Envelope<Resolved>>();
  const acked: number[] = [];
  const done = lastValueFrom(
    input.pipe(
      loadStage(new MemoryStateStore(), delivery, noRejects, { windowMs: 5, maxRecords: 100, settleMs }),
      toArray(),
    ),
  );
  return { rounds, input, acked, done };
}

describe('loadStage', () => {
  it('delivers a burst of changes to one company once, and acks its records only after the CRM confirmed', async () => {
    const { rounds, input, acked, done } = stageUnderTest(1000);
    input.next(record(1, ['A'], acked));
    await tick(100);
    input.next(record(2, ['A', 'B'], acked));
    await tick(200);
    input.next(record(3, ['A'], acked));
    await tick(50);
    expect(rounds).toHaveLength(0); // touched moments ago: still settling
    await until(() => rounds.length === 2);
    // Each company settles on its own: B (last touched at 100 ms) before A (300 ms), once each.
    expect(rounds.map((r) => r.inns)).toEqual([['B'], ['A']]);
    rounds[0]!.done();
    await tick(20);
    expect(acked).toEqual([]); // every record touched A, which the CRM has not confirmed yet
    rounds[1]!.done();
    await until(() => acked.length === 3);
    expect(acked.sort()).toEqual([1, 2, 3]);
    input.complete();
    expect(await done).toHaveLength(3);
  });

  it('delivers every held company when the input ends, without waiting for the settle time', async () => {
    const { rounds, input, acked, done } = stageUnderTest(60_000);
    input.next(record(1, ['A'], acked));
    input.next(record(2, ['B'], acked));
    input.complete();
    await until(() => rounds.flatMap((r) => r.inns).length === 2);
    expect(rounds.flatMap((r) => r.inns).sort()).toEqual(['A', 'B']);
    for (const r of rounds) r.done();
    expect((await done).length).toBe(2);
    expect(acked.sort()).toEqual([1, 2]);
  });
});

describe('CompanySettle', () => {
  it('releases a company after the settle time, after the longest wait, or when too many records are held', () => {
    const s = new CompanySettle<number>({ settleMs: 100, maxWaitMs: 250, maxHeld: 100 });
    s.add(1, ['A'], 0);
    expect(s.due(50)).toEqual([]);
    expect(s.due(100)).toEqual(['A']);
    // Touched again and again: goes out at maxWaitMs from the first touch.
    for (let t = 50; t <= 200; t += 50) s.add(t, ['A'], t);
    expect(s.due(240)).toEqual([]);
    expect(s.due(250)).toEqual(['A']);
    // A third held record reaches the limit: the oldest record's companies are due at once.
    const t = new CompanySettle<number>({ settleMs: 1000, maxWaitMs: 10_000, maxHeld: 3 });
    t.add(1, ['A'], 0);
    t.add(2, ['B'], 0);
    expect(t.due(1)).toEqual([]);
    t.add(3, ['C'], 0);
    expect(t.due(1)).toEqual(['A']);
  });

  it('hands a record over only when every company it touched is being delivered, with each delivery to await', () => {
    const s = new CompanySettle<string>({ settleMs: 0, maxWaitMs: 0, maxHeld: 100 });
    s.add('r1', ['A', 'B'], 0);
    s.add('r2', ['B'], 0);
    const p1 = Promise.resolve(1);
    expect(s.schedule(['A'], p1)).toEqual([]);
    const p2 = Promise.resolve(2);
    const ready = s.schedule(['B'], p2);
    expect(ready.map((r) => r.item)).toEqual(['r1', 'r2']);
    expect(ready[0]!.waits).toEqual([p1, p2]);
    expect(ready[1]!.waits).toEqual([p2]);
    expect(s.size).toBe(0);
  });
});

// Virtual time: one frame is 1 ms. The load stage's window is 5 ms here and a batch holds 3 records.
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe("loadBatches (the load stage's bufferTime batching)", () => {
  it('closes a batch when it is full, else when its window ends; a full batch starts the next window', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // a, b, c fill a batch at 2 ms; d waits for the window opened then (2 → 7 ms).
      const input = hot('abc-d-----|');
      expectObservable(input.pipe(loadBatches(5, 3))).toBe('--x----y--|', { x: ['a', 'b', 'c'], y: ['d'] });
    });
  });

  it('emits nothing for empty windows and hands what is left over when the input ends', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // Windows at 0–5, 5–10, 10–15 ms: only the first holds a record; e arrives at 17 ms and
      // goes out with the end of the input at 19 ms, not at the window's end (20 ms).
      const input = hot('a 16ms e-|');
      expectObservable(input.pipe(loadBatches(5, 3))).toBe('-----x 13ms (y|)', { x: ['a'], y: ['e'] });
    });
  });

  it('splits a burst into batches of at most maxRecords, in arrival order', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // A group takes as many frames as it has characters: seven records at 0 ms, the end at 10 ms.
      const input = hot('(abcdefg)-|');
      expectObservable(input.pipe(loadBatches(5, 3))).toBe('(xy)-z----|', {
        x: ['a', 'b', 'c'],
        y: ['d', 'e', 'f'],
        z: ['g'],
      });
    });
  });
});
