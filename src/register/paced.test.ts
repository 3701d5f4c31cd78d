import { describe, expect, it } from 'vitest';
import type { RegistryStatus } from '../connectors/egrul/status.js';
import { pacedRechecker, sweepBucket } from './paced.js';

describe("the sweep's pace", () => {
  it('is share × rate, without a burst', () => {
    const bucket = sweepBucket(30, 0.2);
    expect(bucket.rate).toBeCloseTo(6);
    expect(bucket.capacity).toBe(1);
  });

  it('asks the register only with a token of its own bucket, one per look-up', async () => {
    const grants: Array<() => void> = [];
    const bucket = { take: () => new Promise<number>((resolve) => grants.push(() => resolve(0))) };
    const asked: string[] = [];
    const paced = pacedRechecker(
      {
        recheck: async (inn): Promise<RegistryStatus> => {
          asked.push(inn);
          return { inn, status: 'ACTIVE' };
        },
      },
      bucket,
    );
    const done = [paced.recheck('7707083893'), paced.recheck('500100732259')];
    await Promise.resolve();
    expect(grants).toHaveLength(2);
    expect(asked).toEqual([]); // no token yet: nothing reaches the verifier
    grants[0]!();
    await done[0];
    expect(asked).toEqual(['7707083893']);
    grants[1]!();
    await expect(done[1]).resolves.toMatchObject({ status: 'ACTIVE' });
    expect(asked).toEqual(['7707083893', '500100732259']);
  });
});
