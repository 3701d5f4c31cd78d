import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/** The partition whose owner is the active instance. */
export const LEASE_PARTITION = 0;

export const LEASE_ASSIGNER_NAME = 'crm-unify-lease';

/** What a member tells the group when it joins: whether it holds the lease now. */
export interface LeaseClaim {
  holding: boolean;
}

/**
 * Who gets the lease partition: the member that says it holds it (so a standby joining never
 * takes the lease from a healthy active instance, as kafkajs' own assigners would when the
 * newcomer sorts first); with no holder, the first member by id. Two claims can only come from
 * a bug (a member that lost its heartbeats says it does not hold): the first by id wins then.
 */
export function chooseHolder(members: ReadonlyArray<{ memberId: string; claim: LeaseClaim }>): string | undefined {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  return (sorted.find((m) => m.claim.holding) ?? sorted[0])?.memberId;
}

export function encodeClaim(claim: LeaseClaim): Buffer {
  return Buffer.from(JSON.stringify(claim));
}

/** A member whose metadata is not ours (another client, an older release) claims nothing. */
export function decodeClaim(userData: Buffer | null | undefined): LeaseClaim {
  try {
    const v = JSON.parse(userData?.toString() ?? '') as Partial<LeaseClaim>;
    return { holding: v.holding === true };
  } catch {
    return { holding: false };
  }
}

/**
 * The kafkajs assigner of the lease group. `claim` is asked at every join, so what a member
 * says is its state at that moment (a holder whose heartbeats lapsed says it does not hold).
 * Only the group leader runs `assign`; every member must use this assigner.
 */
export function leaseAssigner(claim: () => LeaseClaim): PartitionAssigner {
  return () => ({
    name: LEASE_ASSIGNER_NAME,
    version: 1,
    protocol: ({ topics }) => ({
      name: LEASE_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: encodeClaim(claim()) }),
    }),
    assign: async ({ members, topics }) => {
      const holder = chooseHolder(
        members.map((m) => ({
          memberId: m.memberId,
          claim: decodeClaim(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData),
        })),
      );
      const topic = topics[0];
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: topic && m.memberId === holder ? { [topic]: [LEASE_PARTITION] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}
