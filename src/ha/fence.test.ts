import { describe, expect, it } from 'vitest';
import { HeartbeatFence } from './fence.js';

function fence() {
  let now = 1_000;
  const f = new HeartbeatFence({ sessionTimeoutMs: 6_000, marginMs: 2_000, clock: () => now });
  return { f, advance: (ms: number) => (now += ms), at: () => now };
}

describe('HeartbeatFence', () => {
  it('refuses before the lease is held, without tripping', () => {
    const { f, at } = fence();
    f.contact(at());
    expect(() => f.assertActive()).toThrow(/does not hold the lease/);
    f.hold();
    expect(() => f.assertActive()).not.toThrow();
  });

  it('trips by clock once the last confirmed contact is older than the session timeout minus the margin', () => {
    const { f, advance, at } = fence();
    f.hold();
    f.contact(at());
    advance(3_999);
    expect(() => f.assertActive()).not.toThrow();
    advance(1);
    expect(() => f.assertActive()).toThrow(expect.objectContaining({ code: 'INSTANCE_FENCED' }));
    // tripped for good: a later heartbeat does not bring it back
    f.contact(at());
    expect(() => f.assertActive()).toThrow(/no heartbeat confirmed for 4000 ms/);
    expect(f.fresh()).toBe(false);
  });

  it('counts a contact from when its request was sent, so a stale answer read after a stop does not renew it', () => {
    const { f, advance, at } = fence();
    f.hold();
    const sent = at();
    advance(20_000); // stopped; the answer is read on resume
    f.contact(sent);
    expect(f.fresh()).toBe(false);
    expect(() => f.assertActive()).toThrow(/INSTANCE_FENCED|no heartbeat/);
  });

  it('a rejoin sent while fresh covers a long join phase while the event loop turns, at most a session timeout', () => {
    const { f, advance, at } = fence();
    f.hold();
    f.contact(at());
    advance(1_000);
    f.rejoining();
    for (let i = 0; i < 20; i++) {
      advance(250); // 5 s of ticks: past the 4 s limit since the contact, still joining
      f.tick();
    }
    expect(() => f.assertActive()).not.toThrow();
    for (let i = 0; i < 4; i++) {
      advance(250);
      f.tick();
    }
    expect(() => f.assertActive()).toThrow(/no heartbeat confirmed/); // 6 s into the join: the cap
  });

  it('does not trust a rejoin after the event loop stood still (its answer may be lying unread)', () => {
    const { f, advance, at } = fence();
    f.hold();
    f.contact(at());
    f.rejoining();
    f.tick();
    advance(4_500); // stopped
    expect(() => f.assertActive()).toThrow(expect.objectContaining({ code: 'INSTANCE_FENCED' }));
  });

  it('does not count a rejoin that went out after the session could have ended', () => {
    const { f, advance, at } = fence();
    f.hold();
    f.contact(at());
    advance(4_100);
    f.rejoining();
    f.tick();
    expect(f.fresh()).toBe(false);
  });

  it('counts contacts alone again once the rejoin is answered', () => {
    const { f, advance, at } = fence();
    f.hold();
    f.contact(at());
    advance(1_000);
    f.rejoining();
    advance(2_000);
    f.rejoined();
    f.contact(at());
    advance(3_900);
    expect(f.fresh()).toBe(true);
    advance(200);
    expect(f.fresh()).toBe(false);
  });

  it('tells its listeners once, when it trips', () => {
    const { f } = fence();
    const seen: string[] = [];
    f.onTrip((e) => seen.push(e.code));
    f.trip('lost');
    f.trip('again');
    expect(seen).toEqual(['INSTANCE_FENCED']);
    expect(f.fenced?.message).toMatch(/lost/);
  });
});
