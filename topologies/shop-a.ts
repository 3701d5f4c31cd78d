import type { AppConfig } from '../src/config/schema.js';
import { checkBinlogStart, MysqlBinlogSource } from '../src/connectors/mysql/binlog.source.js';
import { MysqlSourceConfigSchema } from '../src/connectors/mysql/config.js';
import { MysqlDeltaSource } from '../src/connectors/mysql/mysql-delta.source.js';
import { MysqlFullSource } from '../src/connectors/mysql/mysql-full.source.js';
import { parseConfig } from '../src/core/config.js';
import type { PositionStore } from '../src/core/positions.js';
import { Reachability, type ConnectPolicy } from '../src/core/reachability.js';
import { redactUrl } from '../src/core/secrets.js';
import type { MysqlRow } from '../src/connectors/mysql/rows.js';
import type { Chain } from '../src/pipeline/stage-kit.js';
import { phase, type Topology } from '../src/pipeline/topology.js';
import { mapShopARow } from './mappers.js';

type ShopAConfig = NonNullable<AppConfig['sources']['shopA']>;

/**
 * What every row of store A goes through, whichever source read it: its mapper (map, normalize,
 * validate), the register (only active companies go on), entity resolution into golden records,
 * then the CRM — a row is acked once the CRM confirmed every company it touched.
 */
export const shopAChain: Chain<MysqlRow> = (rows, s) =>
  rows.pipe(s.map(mapShopARow), s.verify(), s.resolve(), s.load());

/**
 * Shop A: its MySQL replica, `companies` and `contacts` (cp1251). The full extract first (the
 * delta's starting watermark is captured before it, so nothing in between is missed), then the
 * delta forever — or, with `once`, one delta pass up to now. `mode: binlog` replaces the delta by
 * the binlog's row events, from the position the extract read inside its snapshot.
 */
export function shopATopology(
  cfg: ShopAConfig,
  positions: PositionStore,
  opts: { once: boolean; connect: ConnectPolicy },
): Topology {
  const { mysql, ...rest } = cfg;
  const config = parseConfig(
    MysqlSourceConfigSchema,
    { ...rest, url: mysql, name: 'shop-a', once: opts.once },
    'sources.shopA',
  );
  const reach = (component: string) =>
    new Reachability(
      { component, endpoint: redactUrl(mysql), setBy: 'sources.shopA.mysql (or SHOP_A_MYSQL_URL)' },
      opts.connect,
    );
  return {
    name: 'shop-a',
    groups: [
      [
        phase({
          name: 'shop-a.full',
          chain: shopAChain,
          open: async () => {
            if (config.mode === 'binlog') await checkBinlogStart(config, positions, reach('source:shop-a.binlog'));
            const source = new MysqlFullSource({ config, positions, reach: reach('source:shop-a.full') });
            return {
              source,
              report: (m) => {
                const p = source.progress();
                if (p.total) m.sourceProgress.set({ source: 'shop-a.full' }, p.read / p.total);
              },
            };
          },
        }),
      ],
      [
        config.mode === 'binlog'
          ? phase({
              name: 'shop-a.binlog',
              chain: shopAChain,
              open: async () => {
                const source = new MysqlBinlogSource({ config, positions, reach: reach('source:shop-a.binlog') });
                return { source, report: (m) => m.lagSeconds.set({ source: 'shop-a.binlog' }, source.lagSeconds) };
              },
            })
          : phase({
              name: 'shop-a.delta',
              chain: shopAChain,
              open: async () => {
                const source = new MysqlDeltaSource({ config, positions, reach: reach('source:shop-a.delta') });
                return { source, report: (m) => m.lagSeconds.set({ source: 'shop-a.delta' }, source.lagSeconds) };
              },
            }),
      ],
    ],
  };
}
