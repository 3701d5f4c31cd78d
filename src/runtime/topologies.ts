import type { AppConfig } from '../config/schema.js';
import { ConfigError, CrmUnifyError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { MemoryPositionStore } from '../core/positions.js';
import {
  describeTopology,
  formatDescription,
  type Topology,
  type TopologyContext,
  type TopologyRegistry,
} from '../pipeline/topology.js';

export function checkNames(registry: TopologyRegistry, names: string[]): void {
  const unknown = names.filter((n) => !Object.hasOwn(registry, n));
  if (unknown.length || names.length === 0) {
    throw new CrmUnifyError(
      'USAGE',
      `unknown topology ${unknown.join(', ') || '(none given)'}: choose from ${Object.keys(registry).join(', ')}`,
    );
  }
}

/** The named topologies wired from the config; every one that lacks its part is named at once. */
export function buildTopologies(registry: TopologyRegistry, names: string[], ctx: TopologyContext): Topology[] {
  checkNames(registry, names);
  const built = names.map((name) => [name, registry[name]!(ctx)] as const);
  const problems = built.filter(([, t]) => typeof t === 'string').map(([name, t]) => `topology ${name} ${t}`);
  if (problems.length) throw new ConfigError(problems);
  return built.map(([, t]) => t as Topology);
}

/** `crm-unify run … --describe`: the wiring, without opening the state store or any source. */
export function describeTopologies(
  registry: TopologyRegistry,
  names: string[],
  config: Readonly<AppConfig>,
  once: boolean,
): string {
  return buildTopologies(registry, names, { config, positions: new MemoryPositionStore(), once, logger: silentLogger })
    .map((t) => formatDescription(describeTopology(t)))
    .join('\n\n');
}
