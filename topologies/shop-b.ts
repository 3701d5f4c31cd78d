import type { AppConfig } from '../src/config/schema.js';
import { JsonDumpSource, type DumpElement } from '../src/connectors/json-dump/json-dump.source.js';
import { createKafkaClient } from '../src/connectors/kafka/client.js';
import { KafkaDlqRejectSink } from '../src/connectors/kafka/dlq.sink.js';
import { KafkaSource } from '../src/connectors/kafka/kafka.source.js';
import type { PositionStore } from '../src/core/positions.js';
import type { Logger } from '../src/core/logger.js';
import type { Metrics } from '../src/metrics/metrics.js';
import { Reachability, type ConnectPolicy } from '../src/core/reachability.js';
import type { Chain } from '../src/pipeline/stage-kit.js';
import { phase, type Topology } from '../src/pipeline/topology.js';
import { mapShopBDumpElement, mapShopBMessage, type ShopBMessage } from './mappers.js';

type ShopBConfig = NonNullable<AppConfig['sources']['shopB']>;

/**
 * The dump's business partners: the store's mapper (map, normalize, validate), the register (only
 * active companies go on), entity resolution into golden records, then the CRM — an element is
 * acked once the CRM confirmed every company it touched.
 */
export const shopBDumpChain: Chain<DumpElement> = (elements, s) =>
  elements.pipe(s.map(mapShopBDumpElement), s.verify(), s.resolve(), s.load());

/** The topic's change events: the same stages after the event mapper. */
export const shopBEventChain: Chain<ShopBMessage> = (messages, s) =>
  messages.pipe(s.map(mapShopBMessage), s.verify(), s.resolve(), s.load());

/**
 * Shop B (SAP CRM business partners): the historical windows-1251 JSON dump first, then the
 * change events of `shop-b.crm.partners` forever — or, with `once`, up to the end offsets seen
 * at start. Poison messages are copied to `<topic>.dlq` before they are rejected.
 */
export function shopBTopology(
  cfg: ShopBConfig,
  positions: PositionStore,
  opts: { once: boolean; logger: Logger; connect: ConnectPolicy; dlq?: boolean },
): Topology {
  const groups: Topology['groups'] = [];
  if (cfg.dump) {
    const config = { ...cfg.dump, name: 'shop-b.dump' };
    groups.push([
      phase({
        name: 'shop-b.dump',
        chain: shopBDumpChain,
        open: async () => {
          const source = new JsonDumpSource({ config, positions });
          return {
            source,
            report: (m) => {
              const p = source.progress();
              if (p.fileSize) m.sourceProgress.set({ source: 'shop-b.dump' }, p.bytesRead / p.fileSize);
            },
          };
        },
      }),
    ]);
  }
  if (cfg.kafka) {
    const config = { ...cfg.kafka, once: opts.once };
    groups.push([
      phase({
        name: 'shop-b.kafka',
        chain: shopBEventChain,
        open: async () => {
          const reach = (component: string) =>
            new Reachability(
              {
                component,
                endpoint: `kafka ${config.brokers.join(',')}`,
                setBy: 'sources.shopB.kafka.brokers (or KAFKA_BROKERS)',
              },
              opts.connect,
            );
          const sourceReach = reach('source:shop-b.kafka');
          // kafkajs retries connections itself and only logs each failure: those make the source's state.
          const kafka = createKafkaClient(config.brokers, config.clientId, opts.logger, {
            onConnectionError: (err) => sourceReach.observe(err),
          });
          const source = new KafkaSource({ config, kafka, log: opts.logger, reach: sourceReach });
          const report = (m: Metrics) => m.lagMessages.set({ source: 'shop-b.kafka', partition: 'all' }, source.lag);
          // A dry run (`crm-unify plan`) rejects into its scratch state only.
          if (opts.dlq === false) return { source, report };
          const dlq = await KafkaDlqRejectSink.open({
            kafka,
            brokers: config.brokers,
            reach: reach('sink:shop-b.dlq'),
            lookup: (p) => source.rawRecord(p),
          });
          return {
            source,
            rejects: dlq.over,
            report,
            close: dlq.close,
          };
        },
      }),
    ]);
  }
  return { name: 'shop-b', groups };
}
