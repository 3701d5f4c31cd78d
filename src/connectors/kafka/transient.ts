import { isRetriable } from '../../core/errors.js';

/** Consumer failures that a broker coming back cures: worth a fresh consumer rather than a stop. */
const transientKafkaErrors = new Set([
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSRequestTimeoutError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

/** Whether a kafkajs (or broker probe) failure is an outage to wait out rather than a fault. */
export function isTransientKafkaError(err: unknown): boolean {
  for (let e = err as { name?: string; retriable?: boolean; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.retriable === true || (e.name !== undefined && transientKafkaErrors.has(e.name))) return true;
  }
  // A refused or timed-out TCP connection (the broker probe) is an outage too.
  return isRetriable(err);
}
