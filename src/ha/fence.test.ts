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
