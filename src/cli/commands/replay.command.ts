import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { resetGroupOffsets } from '../../connectors/kafka/offsets-admin.js';
import { dumpKey } from '../../connectors/json-dump/positions.js';
import { resetBinlogPositions } from '../../connectors/mysql/binlog-replay.js';
import { MysqlSourceConfigSchema } from '../../connectors/mysql/config.js';
import { resetMysqlPositions } from '../../connectors/mysql/reset.js';
import { parseConfig } from '../../core/config.js';
import { CrmUnifyError } from '../../core/errors.js';
import { StatePositionStore } from '../../pipeline/state-positions.js';
import { withWritableState } from './writable-state.js';
import { DEFAULT_CONFIG } from './config.command.js';

function parseTarget(to: string): 'earliest' | 'latest' | Date {
  if (to === 'earliest' || to === 'latest') return to;
  const d = new Date(to);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(to))
    throw new CrmUnifyError('USAGE', `--to: expected earliest, latest or an ISO time, got ${to}`);
  return d;
}

/**
 * `crm-unify replay <topology> --to earliest|latest|<ISO time>`: moves source positions; the next
 * `run` reads from there. The state's change hashes make a replay of loaded data write nothing.
 * Kafka refuses while the group has active members (stop the pipeline first).
 */
export function replayCommand(program: Command): void {
  program
    .command('replay')
    .description("Reset a topology's source positions (Kafka group offsets, MySQL watermarks, dump position)")
    .argument('<topology>', 'shop-a or shop-b')
    .requiredOption('--to <target>', 'earliest, latest, or an ISO time')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
    .action(async (topology: string, opts: { to: string; config: string }) => {
      const to = parseTarget(opts.to);
      const config = await loadConfigFile(opts.config);
      const done: string[] = [];
      if (topology === 'shop-a') {
        const a = config.sources.shopA;
        if (!a) throw new CrmUnifyError('USAGE', 'replay shop-a: sources.shopA is not configured');
        if (a.mode === 'binlog') {
          // A time is looked up in the server's binlogs (event times), so the server must answer.
          const { mysql, ...rest } = a;
          const mysqlConfig = parseConfig(
            MysqlSourceConfigSchema,
            { ...rest, url: mysql, name: 'shop-a' },
            'sources.shopA',
          );
          done.push(
            await withWritableState(config, config.state.dir, (store) =>
              resetBinlogPositions(new StatePositionStore(store), mysqlConfig, to),
            ),
          );
        } else {
          await withWritableState(config, config.state.dir, (store) =>
            resetMysqlPositions(
              new StatePositionStore(store),
              { name: 'shop-a', tables: a.tables, sourceTimeZone: a.sourceTimeZone },
              to,
            ),
          );
          done.push(`shop-a: MySQL positions of ${a.tables.join(', ')} reset to ${opts.to}`);
        }
      } else if (topology === 'shop-b') {
        const b = config.sources.shopB;
        if (!b?.dump && !b?.kafka) throw new CrmUnifyError('USAGE', 'replay shop-b: sources.shopB is not configured');
        if (b.kafka) {
          const offsets = await resetGroupOffsets({
            brokers: b.kafka.brokers,
            groupId: b.kafka.groupId,
            topic: b.kafka.topic,
            to,
          });
          done.push(
            `shop-b: group ${b.kafka.groupId} on ${b.kafka.topic} set to ${offsets.map((o) => `${o.partition}:${o.offset}`).join(' ')}`,
          );
        }
        if (b.dump && to === 'earliest') {
          await withWritableState(config, config.state.dir, (store) =>
            new StatePositionStore(store).delete(dumpKey('shop-b.dump')),
          );
          done.push('shop-b: the dump will be read again from its first element');
        } else if (b.dump) {
          done.push(
            'shop-b: the dump position is unchanged (a dump has no time index; use --to earliest to re-read it)',
          );
        }
      } else {
        throw new CrmUnifyError('USAGE', `replay: unknown topology ${topology} (shop-a, shop-b)`);
      }
      process.stdout.write(`${done.join('\n')}\n`);
    });
}
