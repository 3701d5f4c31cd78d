// The chaos load with Shop A in binlog mode (`sources.shopA.mode: binlog`, on a throwaway MariaDB
// with a binlog): the same data, kills and faults as chaos.integration.test.ts, with the binlog
// stream's connection killed under it where the delta's would be, and the same promises checked.
// Not under `npm test` (it would add about as much as the poll profile, over a minute): it runs in
// `npm run test:chaos` (full, beside the poll profile), or reduced on demand with
// `CHAOS_SHOP_A=binlog npx vitest run --project integration test/chaos/chaos-binlog.integration.test.ts`.
// CHAOS_SHOP_A=poll leaves it out of `npm run test:chaos`.
import { describeChaos } from './suite.js';

const only = process.env.CHAOS_SHOP_A;
describeChaos('binlog', {
  skip: process.env.CHAOS_PROFILE === 'full' ? only === 'poll' : only !== 'binlog' && only !== 'both',
});
