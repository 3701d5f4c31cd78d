import { Kafka, logLevel } from 'kafkajs';
import { silentLogger, type Logger } from '../../core/logger.js';
import { kafkaLogCreator, type KafkaLogOptions } from './log.js';

/**
 * One kafkajs client per process and broker list, logging through pino (see log.ts). kafkajs is
 * noisy at INFO (every join and commit); warnings and errors are what an operator needs from it.
 */
export function createKafkaClient(
  brokers: readonly string[],
  clientId = 'crm-unify',
  logger: Logger = silentLogger,
  opts: KafkaLogOptions & { level?: logLevel } = {},
): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: opts.level ?? logLevel.WARN,
    logCreator: kafkaLogCreator(logger, opts),
  });
}
