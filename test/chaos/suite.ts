// The chaos load's promises (DESIGN §5), one test each, for a profile: Shop A read by the delta
// (poll, chaos.integration.test.ts) or by the binlog (chaos-binlog.integration.test.ts). Reduced
// under `npm test`, full with CHAOS_PROFILE=full (`npm run test:chaos`); the options and knobs are
// described in chaos.integration.test.ts and RELIABILITY.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlUrl } from '../support/inject.js';
import { binlogServer, type BinlogServer } from '../support/mysql-binlog.js';
import { chaosOptionsFromEnv, runChaos, type ChaosOptions, type ChaosResult, type ProvenFault } from './scenario.js';
import { expectExactlyOnce } from './expect-exactly-once.js';

/** Problems about entries left pending: the last test checks them, the others leave them out so each names one promise. */
const pendingProblem = (p: string) => /pending/.test(p);

export function describeChaos(shopAMode: ChaosOptions['shopAMode'], opts: { skip?: boolean } = {}): void {
  const full = process.env.CHAOS_PROFILE === 'full';
  const options = full
    ? chaosOptionsFromEnv({
        kills: 12,
        scale: 4,
        portalRate: 6,
        portalBurst: 8,
        killDelayMs: [2_000, 8_000],
        registerDownMs: [5_000, 5_000],
        brokerDownMs: 4_000,
        shopAMode,
      })
    : chaosOptionsFromEnv({
        kills: 3,
        scale: 0.5,
        portalRate: 4,
        killDelayMs: [1_500, 3_500],
        registerDownMs: [1_500, 1_500],
        brokerDownMs: 1_500,
        shopAMode,
      });
  const changeConnKill: ProvenFault = shopAMode === 'binlog' ? 'binlog-conn-kill' : 'delta-conn-kill';
  const profile = `${full ? 'full' : 'reduced'}${shopAMode === 'binlog' ? ', Shop A by binlog' : ''}`;

  describe.skipIf(opts.skip === true)(
    `chaos (${profile}): ${options.kills} SIGKILLs, portal faults, register outage, broker restart, MySQL disconnects`,
    () => {
      let r: ChaosResult;
      let server: BinlogServer | undefined;
      beforeAll(
        async () => {
          if (full) expect(options.kills).toBeGreaterThanOrEqual(10);
          // The binlog profile needs a server that logs rows (a throwaway one here: the shared one has no binlog).
          if (shopAMode === 'binlog') server = await binlogServer(mysqlUrl());
          r = await runChaos({ ...options, ...(server ? { mysqlServerUrl: server.url } : {}) });
        },
        full ? 45 * 60_000 : 240_000,
      );
      afterAll(async () => {
        await server?.stop();
      });

      it('survived every kill and drained with a final --once run, without ever exiting on its own', () => {
        expect(r.figures.kills).toBeGreaterThanOrEqual(options.kills);
        expect(r.figures.finalRun.code).toBe(0);
        // The harness restarts an exit nobody asked for (as systemd would); it must not have had to.
        expect(
          r.figures.unexpectedExits,
          'the pipeline exited on its own during the chaos (see run-*.stderr.log)',
        ).toBe(0);
      });

      it(`proves each targeted fault landed: broker down while Kafka consumed, ${shopAMode === 'binlog' ? 'binlog stream' : 'delta'} connection killed under it, a create applied with its answer lost and killed before it settled`, () => {
        const f = r.figures.faults;
        const planned: ProvenFault[] = [
          'broker-restart',
          changeConnKill,
          'targeted-crash',
          ...(options.kills >= 8 ? ['broker-crash' as const] : []),
        ];
        for (const name of planned) {
          expect(f[name], `${name} was never injected`).toBeDefined();
          expect(f[name]!.landed, `${name}: ${f[name]!.evidence}`).toBe(true);
        }
        const t = r.figures.targetedCrash;
        expect(t.unsettledAtKill.length).toBeGreaterThan(0);
        // Each company created under the lost answer is in the CRM once, as that very entity: adopted, not twinned.
        const companies = t.unsettledAtKill.filter((c) => c.entity === 'company');
        expect(t.adoptedCompanies).toBe(companies.length);
      });

      it('holds every expected golden company and contact in the CRM exactly once, and nothing else', () => {
        const v = r.figures.verify;
        expectExactlyOnce(v);
      });

      it('says on /healthz that the Kafka source is backing off while the broker is down, and running once it is back', () => {
        expect(r.figures.broker.health.length).toBe(r.figures.broker.restarts + r.figures.broker.crashes);
        expect(r.figures.broker.health.length).toBeGreaterThan(0);
        for (const h of r.figures.broker.health) {
          expect(h.whileDown).toContain('backing-off');
          expect(h.afterBack).toBe('running');
        }
      });

      it('accounts for every source record (loaded, merged, deleted or rejected with a reason)', () => {
        expect(r.figures.verify.sourceRecords.unaccounted).toBe(0);
      });

      it('rejects exactly the records whose generated dirt calls for it, each with the reason it calls for', () => {
        const v = r.figures.verify.rejectReasons;
        expect(v.expected).toBeGreaterThan(0);
        expect({ wrongReason: v.wrongReason, unexpected: v.unexpected, missing: v.missing }).toEqual({
          wrongReason: 0,
          unexpected: 0,
          missing: 0,
        });
        expect(v.matched).toBeGreaterThanOrEqual(v.expected);
        // The data holds both INN faults and contacts of rejected companies, so those paths were checked.
        expect(v.byExpectedReason).toMatchObject({
          MISSING_INN: expect.any(Number),
          INVALID_INN: expect.any(Number),
          COMPANY_REJECTED: expect.any(Number),
        });
      });

      it('replays for real: replay --to earliest resets every position, the next run reads every source again and writes nothing', () => {
        const { afterReset, read, mustRead, writes } = r.figures.replay;
        // The group's offsets go back to the earliest retained ones (-2: kafkajs's "earliest" marker).
        for (const [p, committed] of Object.entries(afterReset.kafkaCommitted))
          expect(['-2', afterReset.kafkaLow[p]]).toContain(committed);
        expect(Object.keys(afterReset.kafkaCommitted).length).toBeGreaterThan(0);
        expect(afterReset.shopAFull).toEqual([undefined, undefined]);
        expect(afterReset.dump).toBeUndefined();
        for (const [source, n] of Object.entries(mustRead))
          expect(read[source] ?? 0, `${source} read again`).toBeGreaterThanOrEqual(n);
        expect(writes).toBe(0);
      });

      it(`commits no source position ahead of synced state (after the replay too), lands the ${shopAMode === 'binlog' ? "binlog stream's" : "delta's"} row changes, and replays with zero writes`, () => {
        expect(r.figures.verify.kafka.committed).toEqual(r.figures.verify.kafka.end);
        expect(r.figures.rerunWrites).toBe(0);
        expect(r.report.problems.filter((p) => !pendingProblem(p))).toEqual([]);
      });

      it('leaves nothing pending after the final run (state stats pending = 0)', () => {
        expect(r.figures.stateStats.pending).toBe(0);
        expect(r.report.problems.filter(pendingProblem)).toEqual([]);
      });
    },
  );
}
