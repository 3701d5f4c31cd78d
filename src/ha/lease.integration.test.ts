import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../connectors/kafka/client.js';
import { silentLogger } from '../core/logger.js';
import { kafkaBrokers, uniqueTopic } from '../../test/support/inject.js';
import { Lease } from './lease.js';

const SESSION_MS = 6_000;
const MARGIN_MS = 2_000;
const CHILD = resolve(import.meta.dirname, '../../test/support/lease-child.ts');

interface ChildEvent {
  event: 'acquired' | 'lost' | 'check' | 'fenced';
  at: number;
}

function names() {
  const topic = uniqueTopic('crm-unify-test.lease');
  return { topic, groupId: topic };
}

function join(n: { topic: string; groupId: string }): Promise<Lease> {
  return Lease.join({
    kafka: createKafkaClient(kafkaBrokers(), 'lease-test', silentLogger, { level: logLevel.NOTHING }),
    ...n,
    sessionTimeoutMs: SESSION_MS,
    heartbeatIntervalMs: 500,
    fenceMarginMs: MARGIN_MS,
    logger: silentLogger,
  });
}

/** A lease holder in its own process, so the test can SIGKILL or SIGSTOP it. */
function holderProcess(n: { topic: string; groupId: string }) {
  const events: ChildEvent[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, kafkaBrokers().join(','), n.topic, n.groupId, String(SESSION_MS), String(MARGIN_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as ChildEvent);
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, events, exited };
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
  return Date.now();
}

describe('Lease (real broker)', () => {
  const open: Lease[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(open.splice(0).map((l) => l.leave()));
  });

  it('goes to the first member; a second joining does not take it; the holder leaving hands it over at once', async () => {
    const n = names();
    const a = await join(n);
    open.push(a);
    await until('A acquires', () => a.holding, 15_000);
    const b = await join(n);
    open.push(b);
    let lostByA = false;
    a.on('lost', () => (lostByA = true));
    // Long enough for B's join to rebalance the group and for several heartbeats after it.
    await sleep(SESSION_MS);
    expect(b.holding).toBe(false);
    expect(a.holding).toBe(true);
    expect(lostByA).toBe(false);
    expect(() => a.fence.assertActive()).not.toThrow();
    expect(() => b.fence.assertActive()).toThrow(/does not hold the lease/);

    const left = Date.now();
    await a.leave();
    const acquired = await until('B acquires after A left', () => b.holding, 10_000);
    expect(acquired - left).toBeLessThan(5_000);
    expect(() => a.fence.assertActive()).toThrow(expect.objectContaining({ code: 'INSTANCE_FENCED' }));
  });

  it('a standby killed and restarted at once does not fence the holder (the rebalance waits for the dead member)', async () => {
    const n = names();
    const a = await join(n);
    open.push(a);
    await until('A acquires', () => a.holding, 15_000);
    const lost: string[] = [];
    a.on('lost', (r) => lost.push(r));
    const standby = holderProcess(n); // never acquires: A holds the lease
    children.push(standby.child);
    await sleep(3_000);
    standby.child.kill('SIGKILL');
    const b = await join(n); // the rebalance it starts waits for the dead member until its session ends
    open.push(b);
    await sleep(SESSION_MS + 4_000);
    expect(lost).toEqual([]);
    expect(a.holding).toBe(true);
    expect(() => a.fence.assertActive()).not.toThrow();
    expect(b.holding).toBe(false);
  });

  it('a holder killed with SIGKILL: the standby acquires within the session timeout and a few seconds', async () => {
    const n = names();
    const holder = holderProcess(n);
    children.push(holder.child);
    await until('the child acquires', () => holder.events.some((e) => e.event === 'acquired'), 30_000);
    const b = await join(n);
    open.push(b);
    await sleep(2_000); // B is in the group, as a standby
    expect(b.holding).toBe(false);
    const killed = Date.now();
    holder.child.kill('SIGKILL');
    const acquired = await until('B acquires', () => b.holding, SESSION_MS + 10_000);
    expect(acquired - killed).toBeLessThan(SESSION_MS + 5_000);
  });

  it('a holder stopped past its session: the standby acquires; resumed, the holder fences itself at its first check and exits', async () => {
    const n = names();
    const holder = holderProcess(n);
    children.push(holder.child);
    await until('the child acquires', () => holder.events.some((e) => e.event === 'acquired'), 30_000);
    const b = await join(n);
    open.push(b);
    await sleep(2_000);
    holder.child.kill('SIGSTOP');
    const stopped = Date.now();
    const acquired = await until('B acquires', () => b.holding, SESSION_MS + 10_000);
    expect(acquired - stopped).toBeGreaterThanOrEqual(SESSION_MS - 1_000);
    holder.child.kill('SIGCONT');
    expect(await holder.exited).toBe(3);
    const after = holder.events.filter((e) => e.at >= stopped + 20);
    // Every check it passed happened before B held the lease; the first one after the stop failed.
    expect(holder.events.filter((e) => e.event === 'check' && e.at >= acquired)).toEqual([]);
    expect(after.find((e) => e.event === 'check' || e.event === 'fenced')?.event).toBe('fenced');
    expect(b.holding).toBe(true);
  });
});
