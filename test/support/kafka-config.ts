// The broker's configuration files: a single combined broker+controller node with a static
// quorum (controller.quorum.voters), so the storage needs no --standalone format and the same
// files restart the node. Replication factors are 1 and internal topics have one partition;
// Kafka's defaults (RF 3, 50 partitions) would leave the group coordinator unavailable on one node.
import { randomBytes } from 'node:crypto';
import { LOOPBACK } from './net.js';

export interface KafkaPorts {
  port: number;
  controllerPort: number;
}

export function serverProperties({ port, controllerPort }: KafkaPorts, dataDir: string): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${LOOPBACK}:${controllerPort}
listeners=PLAINTEXT://${LOOPBACK}:${port},CONTROLLER://${LOOPBACK}:${controllerPort}
# Only the broker listener is advertised; clients (kafkajs) must never be given the controller port.
advertised.listeners=PLAINTEXT://${LOOPBACK}:${port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests create many short-lived groups: no 3 s wait before the first rebalance.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
# After a crash (SIGKILL) the restarted node waits out its old registration's session (default
# 9 s) before it is unfenced; chaos tests crash the broker on purpose, so keep that short.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=2000
num.network.threads=2
num.io.threads=2
# The default 128 MiB dedupe buffer is allocated at startup; 16 MiB fits the small heap.
log.cleaner.dedupe.buffer.size=16777216
`;
}

/**
 * Quiet console logging: warnings, plus the two INFO lines the launcher reads (the version and
 * "Kafka Server started"). The shutdown hook is off because the JVM's own hook already stops
 * Kafka, and log4j's would only complain that the JVM is shutting down.
 */
export const LOG4J2_PROPERTIES = `status = warn
shutdownHook = disable
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = STDOUT
logger.ready.name = kafka.server.KafkaRaftServer
logger.ready.level = INFO
logger.version.name = org.apache.kafka.common.utils.AppInfoParser
logger.version.level = INFO
# "Performing controller activation... metadata log appears to be empty" is expected on a fresh dir.
logger.controller.name = org.apache.kafka.controller.QuorumController
logger.controller.level = ERROR
`;

/** JVM options for a small, fast-starting test broker (defaults are a 1 GiB heap and G1). */
export const JVM_OPTIONS = [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
];

/**
 * A cluster id in Kafka's own format (16 random bytes, base64url, 22 chars). Kafka never issues one
 * starting with '-', which its command-line parser would take for an option.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
