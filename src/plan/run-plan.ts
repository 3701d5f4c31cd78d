import type { AppConfig } from '../config/schema.js';
import { DryRunClient } from '../connectors/bitrix24/dry-run-client.js';
import type { Logger } from '../core/logger.js';
import type { DeliveryOutcome } from '../delivery/crm-delivery.js';
import type { TopologyRegistry } from '../pipeline/topology.js';
import { runService } from '../runtime/service.js';
import { scratchKafkaGroup, type ScratchGroup } from './kafka-scratch-group.js';
import { buildReport, entityKinds, type PlanReport } from './report.js';
import { scratchState } from './scratch-state.js';

export interface PlanOptions {
  topologies: TopologyRegistry;
  names: string[];
  config: Readonly<AppConfig>;
  logger: Logger;
  stop?: AbortSignal;
}

/**
 * `crm-unify plan`: the real `run --once` over a scratch copy of the state (so from the positions
 * a run would start at), the real register, and the real portal through a dry-run client — reads
 * answered by the portal, writes recorded instead of sent. The copy and any scratch Kafka group
 * are removed afterwards; the real state directory is only read.
 */
export async function runPlan(o: PlanOptions): Promise<PlanReport> {
  const scratch = await scratchState(o.config.state.dir);
  let group: ScratchGroup | undefined;
  try {
    const kafka = o.names.includes('shop-b') ? o.config.sources.shopB?.kafka : undefined;
    if (kafka) group = await scratchKafkaGroup(kafka, o.logger);
    const config: Readonly<AppConfig> = {
      ...o.config,
      state: { dir: scratch.dir },
      // A plan may run beside a service of another state: its own metrics endpoint on any free port.
      metrics: { ...o.config.metrics, port: 0 },
      sources:
        kafka && group
          ? { ...o.config.sources, shopB: { ...o.config.sources.shopB, kafka: { ...kafka, groupId: group.groupId } } }
          : o.config.sources,
    };
    let client: DryRunClient | undefined;
    const outcomes: DeliveryOutcome[] = [];
    const summary = await runService({
      topologies: o.topologies,
      names: o.names,
      config,
      once: true,
      logger: o.logger,
      stop: o.stop ?? new AbortController().signal,
      dryRun: {
        crmClient: (crm, deps) => (client = new DryRunClient(crm, deps)),
        onDelivered: (out) => {
          outcomes.push(...out);
        },
      },
    });
    const report = buildReport({
      topologies: o.names,
      copied: scratch.copied,
      writes: client?.writes ?? [],
      outcomes,
      summary,
      planned: client?.planned ?? { requests: 0, commands: 0 },
      rate: o.config.crm.rate,
      batchSize: o.config.crm.batchSize,
    });
    // Counts and ids only: the plan's values are for the user's terminal, not the logs.
    o.logger.info(
      {
        counts: report.counts,
        conflicts: report.conflicts,
        twins: report.twins,
        portalMinutes: report.portal.minutes,
        sample: entityKinds
          .map((k) => report.items.find((it) => it.entity === k)?.crmId)
          .filter((id) => id !== undefined),
      },
      'plan ready',
    );
    return report;
  } finally {
    await group?.drop();
    await scratch.drop();
  }
}
