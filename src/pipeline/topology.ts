import { runPhase, stageNames, type PipelineDeps, type SourcePhase } from './pipeline.js';

/**
 * A topology: the wiring of one store's sources into the shared chain. Sources run in groups:
 * a group's sources run side by side, and a group starts when the one before it is drained
 * (Shop A: full extract, then delta; Shop B: dump, then Kafka).
 */
export interface Topology {
  name: string;
  groups: SourcePhase<unknown>[][];
}

/** Erases a phase's raw record type: inside a phase the source and its mapper agree by construction. */
export function phase<Raw>(p: SourcePhase<Raw>): SourcePhase<unknown> {
  return p as unknown as SourcePhase<unknown>;
}

export interface TopologyDescription {
  name: string;
  sources: string[][];
  stages: string[];
  sinks: string[];
  stores: string[];
}

export function describeTopology(t: Topology): TopologyDescription {
  return {
    name: t.name,
    sources: t.groups.map((g) => g.map((p) => p.name)),
    stages: [...stageNames],
    sinks: ['bitrix24 (companies, requisites, bank details, contacts)', 'rejects (state store)'],
    stores: ['state (LevelDB: golden records, match keys, links, positions, register cache, CRM ids, rejects)'],
  };
}

export function formatDescription(d: TopologyDescription): string {
  const lines = [`topology ${d.name}`];
  d.sources.forEach((g, i) => lines.push(`  ${i === 0 ? 'sources' : 'then   '}  ${g.join(' + ')}`));
  lines.push(`  chain    ${d.stages.join(' → ')}`);
  lines.push(`  sinks    ${d.sinks.join('; ')}`);
  lines.push(`  stores   ${d.stores.join('; ')}`);
  return lines.join('\n');
}

/** Runs a topology's groups in order until drained or stopped; what is in flight settles first. */
export async function runTopology(t: Topology, deps: PipelineDeps, stop: AbortSignal): Promise<void> {
  for (const group of t.groups) {
    if (stop.aborted) break;
    await Promise.all(group.map((phase) => runPhase(t.name, phase, deps, stop)));
  }
}
