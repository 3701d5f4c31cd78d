import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the FULL chaos load on real Kafka and MySQL — the same file `npm test`
// runs reduced, with CHAOS_PROFILE=full. The integration tests' global setup provides MySQL (and
// the shared Kafka, which the chaos load leaves alone: it starts a private broker it can stop and
// restart). Knobs: CHAOS_KILLS, CHAOS_SCALE, CHAOS_SEED, CHAOS_PORTAL_RATE, CHAOS_KEEP=1
// (RELIABILITY.md). The same glob picks up the other profiles: chaos-binlog (CHAOS_SHOP_A) and the
// high-availability profile, ha-chaos.integration.test.ts (20 SIGKILLs of the active instance of
// two; CHAOS_HA=0 leaves it out, CHAOS_HA_KILLS changes the count; RELIABILITY.md "High
// availability chaos profile"). One profile alone: `npm run test:chaos -- <file>`.
export default defineConfig({
  test: {
    name: 'chaos',
    include: ['test/chaos/**/*.integration.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    env: { CHAOS_PROFILE: 'full' },
    testTimeout: 45 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
