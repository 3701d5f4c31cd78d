// The chaos load. Under `npm test` (the integration project) it runs REDUCED: small data, 3
// SIGKILLs, every fault kind once, about a minute. `npm run test:chaos` (vitest.chaos.config.ts)
// runs this same file with CHAOS_PROFILE=full: ≥ 10 SIGKILLs (default 12) over 4 × the `small`
// dataset, plus a broker crash. Knobs: CHAOS_KILLS, CHAOS_SCALE, CHAOS_SEED, CHAOS_PORTAL_RATE,
// CHAOS_KEEP=1. See RELIABILITY.md. One load, then one test per promise of DESIGN §5.
// The tests themselves are in suite.ts, shared with the binlog profile (chaos-binlog.integration.test.ts);
// CHAOS_SHOP_A=binlog runs that profile alone.
import { describeChaos } from './suite.js';

describeChaos('poll', { skip: process.env.CHAOS_SHOP_A === 'binlog' });
