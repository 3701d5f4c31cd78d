// A process holding (or waiting for) the HA lease, for tests that kill or stop it. Prints one JSON
// line per event on stdout: {"event":"acquired"|"lost"|"check"|"fenced","at":<epoch ms>}. While it
// holds the lease it checks the fence every `checkMs` as the CRM client would before a request,
// printing each passed check, and exits 3 at the first failed one.
// Usage: node --import tsx test/support/lease-child.ts <brokers,> <topic> <group> <sessionMs> <marginMs>
import { logLevel } from 'kafkajs';
import { createKafkaClient } from '../../src/connectors/kafka/client.js';
import { silentLogger } from '../../src/core/logger.js';
import { Lease } from '../../src/ha/lease.js';

const [brokers = '', topic = '', groupId = '', session = '6000', margin = '2000'] = process.argv.slice(2);
const say = (event: string) => process.stdout.write(`${JSON.stringify({ event, at: Date.now() })}\n`);

const kafka = createKafkaClient(brokers.split(','), 'lease-child', silentLogger, { level: logLevel.NOTHING });
const lease = await Lease.join({
  kafka,
  topic,
  groupId,
  sessionTimeoutMs: Number(session),
  heartbeatIntervalMs: 500,
  fenceMarginMs: Number(margin),
  logger: silentLogger,
});
lease.on('lost', () => say('lost'));
await lease.whenAcquired(new AbortController().signal);
say('acquired');
setInterval(() => {
  try {
    lease.fence.assertActive();
    say('check');
  } catch {
    say('fenced');
    process.exit(3);
  }
}, 100);
