// The high-availability chaos profile (ha-scenario.ts; RELIABILITY.md "High availability chaos
// profile"): two instances with `ha.enabled: true` on the chaos load's data, sources, private
// broker and faulty portal; the ACTIVE one is SIGKILLed at random moments, some of them between a
// create and its answer; the standby must take over (p95 < 30 s), the killed one comes back as the
// standby; a final `--once` run, then the CRM must hold every golden entity exactly once and every
// source record must be accounted for.
//
// `npm run test:chaos` (CHAOS_PROFILE=full) runs it with 20 kills over 2 × the `small` dataset,
// beside the other chaos profiles; `npx vitest run -c vitest.chaos.config.ts
// test/chaos/ha-chaos.integration.test.ts` runs it alone. Under `npm test` it runs REDUCED
// (3 kills, a quarter of `small`). CHAOS_HA=0 leaves it out of both. Knobs: CHAOS_HA_KILLS,
// CHAOS_SCALE, CHAOS_SEED, CHAOS_PORTAL_RATE, CHAOS_KEEP=1.
import { beforeAll, describe, expect, it } from 'vitest';
import { runHaChaos, type HaChaosOptions, type HaResult } from './ha-scenario.js';
import { expectExactlyOnce } from './expect-exactly-once.js';

const full = process.env.CHAOS_PROFILE === 'full';

function num(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
}

const options: HaChaosOptions = {
  kills: Math.round(num('CHAOS_HA_KILLS', full ? 20 : 3)),
  targetedEvery: full ? 4 : 2,
  doubleKills: full ? [3, 11] : [],
  scale: num('CHAOS_SCALE', full ? 3 : 0.25),
  seed: num('CHAOS_SEED', 7),
  portalRate: num('CHAOS_PORTAL_RATE', full ? 2 : 4),
  portalBurst: 6,
  killDelayMs: full ? [1_000, 8_000] : [500, 2_000],
  sessionTimeoutMs: 6_000,
  takeoverTimeoutMs: 60_000,
  keep: process.env.CHAOS_KEEP === '1',
  log: (m) => process.stderr.write(`[ha-chaos] ${m}\n`),
};

describe.skipIf(process.env.CHAOS_HA === '0')(
  `HA chaos (${full ? 'full' : 'reduced'}): ${options.kills} SIGKILLs of the active instance, a standby takes over`,
  () => {
    let r: HaResult;
    beforeAll(
      async () => {
        if (full) expect(options.kills).toBeGreaterThanOrEqual(20);
        r = await runHaChaos(options);
      },
      full ? 45 * 60_000 : 240_000,
    );

    it('takes over after every kill of the active instance, with a takeover time p95 under 30 s', () => {
      const t = r.figures.takeoverMs;
      expect(r.figures.kills).toBe(options.kills);
      expect(t.failed, JSON.stringify(r.figures.takeovers)).toBe(0);
      expect(t.n).toBe(options.kills - r.figures.doubleFailures.length);
      expect(t.p95!).toBeLessThan(30_000);
    });

    it.skipIf(options.doubleKills.length === 0)(
      'recovers from a double failure: the survivor killed inside its takeover, both restarted, one takes over',
      () => {
        expect(r.figures.doubleFailures.length).toBe(options.doubleKills.length);
        for (const d of r.figures.doubleFailures) {
          expect(d.recoveredMs, JSON.stringify(d)).not.toBeNull();
          expect(d.otherStandby, JSON.stringify(d)).toBe(true);
        }
      },
    );

    it('brings every killed instance back as the standby, never shows two active instances, never exits on its own', () => {
      expect(r.figures.takeovers.filter((t) => !t.restartedAsStandby)).toEqual([]);
      expect(r.figures.splitBrainSightings).toBe(0);
      expect(r.figures.roleAnomalies).toEqual([]);
      expect(r.figures.unexpectedExits, 'an instance exited on its own (see a/ and b/ run-*.stderr.log)').toBe(0);
    });

    it('kills the active instance between a create and its answer, and the CRM adopts what it created (no twin)', () => {
      const t = r.figures.targeted;
      expect(t.aimed).toBeGreaterThan(0);
      expect(t.landed, 'no aimed kill found a create to interrupt').toBeGreaterThan(0);
      expect(t.adoptedCompanies).toBe(t.companies);
    });

    it('holds every expected golden company and contact in the CRM exactly once, and nothing else', () => {
      const v = r.figures.verify;
      expectExactlyOnce(v);
    });

    it('accounts for every source record (loaded, merged, deleted or rejected with a reason)', () => {
      expect(r.figures.verify.sourceRecords.unaccounted).toBe(0);
    });

    it('drains with a final --once run: nothing pending, offsets at the end, the state dir equal to the changelog', () => {
      expect(r.figures.finalRun.code).toBe(0);
      expect(r.figures.stateStats.pending).toBe(0);
      expect(r.figures.verify.kafka.committed).toEqual(r.figures.verify.kafka.end);
      expect(r.figures.stateVerify.code, r.figures.stateVerify.output).toBe(0);
      expect(r.report.problems).toEqual([]);
    });
  },
);
