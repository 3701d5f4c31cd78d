import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { chooseHolder, decodeClaim, encodeClaim, leaseAssigner } from './lease-assigner.js';

describe('lease assigner', () => {
  it('keeps the lease with the member that holds it, whatever the order', () => {
    const holder = chooseHolder([
      { memberId: 'a-standby', claim: { holding: false } },
      { memberId: 'z-active', claim: { holding: true } },
    ]);
    expect(holder).toBe('z-active');
  });

  it('gives it to the first member by id when nobody holds it', () => {
    expect(
      chooseHolder([
        { memberId: 'm2', claim: { holding: false } },
        { memberId: 'm1', claim: { holding: false } },
      ]),
    ).toBe('m1');
    expect(chooseHolder([])).toBeUndefined();
  });

  it('reads a member without our metadata as claiming nothing', () => {
    expect(decodeClaim(Buffer.from('not json'))).toEqual({ holding: false });
    expect(decodeClaim(null)).toEqual({ holding: false });
    expect(decodeClaim(encodeClaim({ holding: true }))).toEqual({ holding: true });
  });

  it('assigns partition 0 of the lease topic to the holder only', async () => {
    const member = (memberId: string, holding: boolean) => ({
      memberId,
      memberMetadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics: ['app.lease'],
        userData: encodeClaim({ holding }),
      }),
    });
    const assigner = leaseAssigner(() => ({ holding: false }))({} as never);
    const out = await assigner.assign({ members: [member('a', false), member('b', true)], topics: ['app.lease'] });
    const decoded = Object.fromEntries(
      out.map((o) => [o.memberId, AssignerProtocol.MemberAssignment.decode(o.memberAssignment)?.assignment]),
    );
    expect(decoded).toEqual({ a: {}, b: { 'app.lease': [0] } });
  });
});
