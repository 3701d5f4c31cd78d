// Cold restore from the changelog (the HA issue's "Done when"): one instance with
// `ha.enabled: true` and no standby runs part of the chaos load (its data, sources, private broker
// and faulty portal), is SIGKILLed — between a create and its answer when a create comes in time —
// and its state directory is deleted. `crm-unify state restore --config …` (the real CLI) rebuilds
// it from the changelog alone, `state verify` exits 0, and a `--once` run completes the load: the
// CRM then holds every golden entity exactly once (zero twins) and nothing is lost (zero missing,
// every source record accounted for). See test/chaos/ha-scenario.ts (runColdRestore).
import { beforeAll, describe, expect, it } from 'vitest';
import { runColdRestore, type ColdRestoreFigures } from '../chaos/ha-scenario.js';
import type { VerifyReport } from '../chaos/verify.js';
import { expectExactlyOnce } from '../chaos/expect-exactly-once.js';

describe('HA cold restore: active instance killed, its state dir deleted, no standby', () => {
  let r: { report: VerifyReport; figures: ColdRestoreFigures };
  beforeAll(async () => {
    r = await runColdRestore({
      kills: 1,
      targetedEvery: 1,
      doubleKills: [],
      scale: Number(process.env.CHAOS_SCALE ?? 0.25),
      seed: Number(process.env.CHAOS_SEED ?? 11),
      portalRate: 4,
      portalBurst: 6,
      killDelayMs: [1_000, 3_000],
      sessionTimeoutMs: 6_000,
      takeoverTimeoutMs: 60_000,
      keep: process.env.CHAOS_KEEP === '1',
      log: (m) => process.stderr.write(`[ha-restore] ${m}\n`),
    });
  }, 240_000);

  it('rebuilds the state dir from the changelog with state restore, and state verify finds it equal', () => {
    expect(r.figures.killedAfterWrites).toBeGreaterThan(0);
    // The kill came from inside a call that applied creates, its answer dropped: the restored state cannot know them.
    expect(r.figures.killedBetweenCreateAndAnswer).toBe(true);
    expect(r.figures.restore.code, r.figures.restore.output).toBe(0);
    expect(r.figures.verifyRestored.code, r.figures.verifyRestored.output).toBe(0);
  });

  it('completes the load with a --once run: zero twins, zero lost, every source record accounted for', () => {
    const v = r.figures.verify;
    expect(r.figures.finalRun.code).toBe(0);
    expectExactlyOnce(v);
    expect(v.sourceRecords.unaccounted).toBe(0);
    expect(r.figures.adoptedCompanies).toBe(r.figures.unsettledAtKill.filter((c) => c.entity === 'company').length);
  });

  it('leaves nothing pending and the state dir equal to the changelog', () => {
    expect(r.figures.stateStats.pending).toBe(0);
    expect(r.figures.stateVerify.code, r.figures.stateVerify.output).toBe(0);
    expect(r.report.problems).toEqual([]);
  });
});
