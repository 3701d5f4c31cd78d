import type { IHeaders } from 'kafkajs';

/** What the Kafka source emits: the message as consumed, undecoded (the mapper parses JSON). */
export interface KafkaRawRecord {
  topic: string;
  partition: number;
  /** Kafka offset, decimal text (int64). */
  offset: string;
  key: Buffer | null;
  /** The payload; an empty buffer for a tombstone (then `tombstone` is true). */
  value: Buffer;
  tombstone: boolean;
  headers: IHeaders;
  /** Message timestamp, ms since 1970 as text (kafkajs' form). */
  timestamp: string;
}

/** The ordering domain of a topic partition, as envelopes and rejects show it. */
export function partitionName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
