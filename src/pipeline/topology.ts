import type { AppConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { PositionStore } from '../core/positions.js';
import type { ConnectPolicy } from '../core/reachability.js';
import { EMPTY } from 'rxjs';
import { runPhase, type PipelineDeps, type SourcePhase } from './pipeline.js';
import { describingStages, type StageStep } from './stage-kit.js';

/**
 * A topology: one store's sources, each with the operator chain its records go through. Sources
 * run in groups: a group's sources run side by side, and a group starts when every record of the
 * one before it is resolved (Shop A: full extract, then delta; Shop B: dump, then Kafka).
 */
export interface Topology {
  name: string;
  groups: SourcePhase<unknown>[][];
}

/** What a topology is built from: the config, the positions it resumes from, how it waits for servers. */
export interface TopologyContext {
  config: Readonly<AppConfig>;
  positions: PositionStore;
  once: boolean;
  logger: Logger;
  /** How sources and sinks wait for servers that cannot be reached (the service's policy). */
  connect?: ConnectPolicy;
  /** `crm-unify plan`: read the sources, write nowhere but the (scratch) state — no DLQ topic. */
  dryRun?: boolean;
}

/** Builds a topology from the config, or says which part of the config it needs. */
export type TopologyFactory = (c: TopologyContext) => Topology | string;

/**
 * The topologies `crm-unify run` knows, by name. The entry point (bin/main.ts) hands the registry
 * of topologies/ in: src/ never imports topologies/.
 */
export type TopologyRegistry = Readonly<Record<string, TopologyFactory>>;

/** Erases a phase's raw record type: `phase()` checks that the source and its chain agree on it. */
export function phase<Raw>(p: SourcePhase<Raw>): SourcePhase<unknown> {
  return p as unknown as SourcePhase<unknown>;
}

export interface TopologyDescription {
  name: string;
  sources: string[][];
  /** Each source's chain, the stages in the order it composes them. */
  chains: Record<string, StageStep[]>;
}

/** What a topology is, read from its chains (each run over stages that only note themselves). */
export function describeTopology(t: Topology): TopologyDescription {
  const chains: Record<string, StageStep[]> = {};
  for (const p of t.groups.flat()) {
    const steps: StageStep[] = [];
    p.chain(EMPTY, describingStages(steps));
    chains[p.name] = steps;
  }
  return { name: t.name, sources: t.groups.map((g) => g.map((p) => p.name)), chains };
}

const stepText = (s: StageStep): string => (s.detail ? `${s.stage}(${s.detail})` : s.stage);

export function formatDescription(d: TopologyDescription): string {
  const lines = [`topology ${d.name}`];
  d.sources.forEach((g, i) => lines.push(`  ${i === 0 ? 'sources' : 'then   '}  ${g.join(' + ')}`));
  const chains = Object.entries(d.chains).map(([source, steps]) => [source, steps.map(stepText).join(' → ')] as const);
  // Sources that share one chain (Shop A's extract and delta) print it once.
  if (new Set(chains.map(([, c]) => c)).size === 1) lines.push(`  chain    ${chains[0]![1]}`);
  else chains.forEach(([source, c], i) => lines.push(`  ${i === 0 ? 'chains ' : '       '}  ${source}: ${c}`));
  const uses = [
    ...new Set(
      Object.values(d.chains)
        .flat()
        .flatMap((s) => (s.uses ? [`${s.stage}: ${s.uses}`] : [])),
    ),
  ];
  uses.forEach((u, i) => lines.push(`  ${i === 0 ? 'uses   ' : '       '}  ${u}`));
  lines.push(
    '  rejects  state store (reason-coded, then acked); a source may copy them elsewhere first (Kafka: its DLQ topic)',
  );
  return lines.join('\n');
}

/**
 * Runs a topology's groups in order until drained or stopped; what is in flight settles first.
 * A group starts once every record of the group before it is resolved, so the later records
 * (Kafka after the dump, the delta after the full extract) still resolve after the earlier ones,
 * while the earlier group's last deliveries overlap the next group's reading: the portal is not
 * left idle between them. Positions stay per source, acked only after the CRM confirmed.
 */
export async function runTopology(t: Topology, deps: PipelineDeps, stop: AbortSignal): Promise<void> {
  // A failed phase fails the run at once, whichever group is being waited on (as before, the
  // caller stops the rest): every run's rejection lands here, so none goes unobserved.
  let fail!: (err: unknown) => void;
  const failure = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failure.catch(() => undefined);
  const runs: Array<Promise<unknown>> = [];
  for (const group of t.groups) {
    if (stop.aborted) break;
    const resolved = group.map(() => signal());
    const run = Promise.all(group.map((phase, i) => runPhase(t.name, phase, deps, stop, resolved[i]!.set)));
    run.catch(fail);
    runs.push(run);
    await Promise.race([Promise.all(resolved.map((r) => r.done)), run, failure]);
  }
  await Promise.race([Promise.all(runs), failure]);
}

function signal(): { done: Promise<void>; set: () => void } {
  let set!: () => void;
  const done = new Promise<void>((resolve) => {
    set = resolve;
  });
  return { done, set };
}
