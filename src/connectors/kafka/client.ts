import { Kafka, logLevel } from 'kafkajs';

/**
 * One kafkajs client per process and broker list. kafkajs' own logger is noisy at INFO
 * (every join and commit); warnings and errors are what an operator needs from it.
 */
export function createKafkaClient(brokers: readonly string[], clientId = 'crm-unify', level: logLevel = logLevel.WARN): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: level });
}
