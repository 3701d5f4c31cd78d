/**
 * Restore speed of the HA state changelog (`crm-unify state restore`).
 *
 * The seed-scale dataset (`generate(scales.seed, 1)`, or RESTORE_FRACTION of it) is mapped and
 * resolved through the Resolver over a ChangelogStateStore, as an active instance writes it:
 * every batch a Kafka transaction on `<app>.changelog`, then LevelDB (2 000 changes in flight,
 * as the resolve stage runs). The changelog then holds every version the run wrote, nothing
 * compacted yet (the worst case for a restore). Then the measure: a state directory built from
 * the changelog alone (`restoreFromChangelog`, what `state restore` runs), and `state verify`'s
 * comparison of it with the changelog. For scale, the same resolution into LevelDB alone is
 * timed first (RESTORE_BASELINE=0 skips it): the write side's cost of the changelog. One JSON
 * line on stdout; progress on stderr.
 *
 * The broker is one started here (test/support/kafka-broker.ts, KRaft from Maven jars, one node),
 * or KAFKA_BROKERS when set.
 *
 *   npm run bench:restore                       (RESTORE_FRACTION=0.1 for a quick run)
 *
 * `npm run bench` runs it too (benchRestore), at RESTORE_FRACTION (default 0.2 there).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { generate, scaleFraction, scales } from '../src/gen/dataset.js';
import { openChangelogState } from '../src/ha/changelog-open.js';
import { restoreFromChangelog } from '../src/ha/changelog-restore.js';
import { verifyAgainstChangelog } from '../src/ha/changelog-verify.js';
import { haNames } from '../src/ha/config.js';
import type { CanonicalChange } from '../src/model/index.js';
import { Resolver } from '../src/resolve/resolver.js';
import { openLevelStore } from '../src/state/level-store.js';
import type { StateStore } from '../src/state/store.js';
import { datasetOutcomes } from '../test/support/dataset-changes.js';
import { startKafka, type KafkaBroker } from '../test/support/kafka-broker.js';

const r1 = (x: number) => Math.round(x * 10) / 10;
const IN_FLIGHT = 2_000;

/** Resolves `changes` through `store` as the resolve stage runs them (IN_FLIGHT at a time); seconds. */
async function resolveAll(store: StateStore, changes: readonly CanonicalChange[]): Promise<number> {
  const started = performance.now();
  const resolver = new Resolver(store);
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < changes.length; i++) {
    const p = resolver.resolve(changes[i]!, { ref: `0@${i}` }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await resolver.flush();
  return (performance.now() - started) / 1000;
}

/**
 * The write side, in a function of its own so that the dataset (a gigabyte at seed scale) is
 * garbage by the time the restore is measured: the same resolution into plain LevelDB (the
 * baseline), then through the changelog.
 */
async function writeState(ctx: Ctx): Promise<{ changes: number; baselineSeconds: number; writeSeconds: number }> {
  const { fraction, kafka, names, root, log } = ctx;
  log(`generating ${fraction === 1 ? 'the seed-scale' : `${fraction} of the seed-scale`} dataset`);
  const ds = generate(fraction === 1 ? scales.seed : scaleFraction(fraction), 1);
  const changes = datasetOutcomes(ds).flatMap((o) => (o.ok ? [o.value] : []));

  let baselineSeconds = 0;
  if (process.env.RESTORE_BASELINE !== '0') {
    log(`resolving ${changes.length} changes into LevelDB alone (the baseline)`);
    const plain = await openLevelStore(join(root, 'plain'));
    baselineSeconds = await resolveAll(plain, changes).finally(() => plain.close());
    log(`baseline: ${r1(baselineSeconds)} s`);
  }

  log(`resolving ${changes.length} changes through the changelog (${names.changelogTopic})`);
  const active = await openChangelogState({
    kafka,
    dir: join(root, 'active'),
    topic: names.changelogTopic,
    transactionalId: names.transactionalId,
  });
  const writeSeconds = await resolveAll(active.store, changes).finally(() => active.close());
  log(`written in ${r1(writeSeconds)} s`);
  return { changes: changes.length, baselineSeconds, writeSeconds };
}

export interface RestoreFigures {
  measure: 'restore';
  fraction: number;
  changes: number;
  baselineChangesPerSec: number | null;
  writeSeconds: number;
  writeChangesPerSec: number;
  messages: number;
  keys: number;
  companies: number;
  restoreSeconds: number;
  companiesPerSec: number;
  messagesPerSec: number;
  megabytesPerSec: number;
  verifySeconds: number;
  identical: boolean;
}

interface Ctx {
  fraction: number;
  kafka: Kafka;
  names: ReturnType<typeof haNames>;
  root: string;
  log: (m: string) => void;
}

export async function benchRestore(
  opts: { fraction?: number; log?: (m: string) => void } = {},
): Promise<RestoreFigures> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[restore] ${m}\n`));
  const fraction = opts.fraction ?? 1;
  let broker: KafkaBroker | undefined;
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? (broker = await startKafka({ log })).brokers;
  const kafka = new Kafka({ clientId: 'restore-bench', brokers, logLevel: logLevel.NOTHING });
  const names = haNames(`restore-bench-${Date.now().toString(36)}`);
  const root = await mkdtemp(join(tmpdir(), 'crm-unify-bench-restore-'));
  try {
    const written = await writeState({ fraction, kafka, names, root, log });

    log('restoring a state directory from the changelog alone');
    const restoredDir = join(root, 'restored');
    const restore = await restoreFromChangelog(restoredDir, { kafka, topic: names.changelogTopic });

    log('verifying the restored directory against the changelog');
    const verifyStarted = performance.now();
    const restored = await openLevelStore(restoredDir);
    const verify = await verifyAgainstChangelog(restored, { kafka, topic: names.changelogTopic }).finally(() =>
      restored.close(),
    );
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    return {
      measure: 'restore',
      fraction,
      changes: written.changes,
      baselineChangesPerSec: written.baselineSeconds ? Math.round(written.changes / written.baselineSeconds) : null,
      writeSeconds: r1(written.writeSeconds),
      writeChangesPerSec: Math.round(written.changes / written.writeSeconds),
      messages: restore.messages,
      keys: restore.keys,
      companies: restore.companies,
      restoreSeconds: r1(restore.seconds),
      companiesPerSec: Math.round(restore.companiesPerSec),
      messagesPerSec: Math.round(restore.messagesPerSec),
      megabytesPerSec: r1(restore.megabytesPerSec),
      verifySeconds: r1(verifySeconds),
      identical: verify.missing + verify.extra + verify.different === 0,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
    await broker?.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchRestore({ fraction: Number(process.env.RESTORE_FRACTION ?? 1) });
  console.log(JSON.stringify(figures));
}
