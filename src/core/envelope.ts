/**
 * What flows through a topology: a value plus where it came from, and the two callbacks that
 * settle it. A record is settled exactly once: `ack` when it is loaded, merged or durably
 * rejected; `nack` when it could not be handled and must be read again.
 */
export interface Position {
  /** Ordering domain: a Kafka partition, a MySQL table, a dump file. */
  readonly partition: string;
  /** Monotonic within its partition (Kafka offset, row ordinal, element index). */
  readonly offset: bigint;
  /** What to persist to resume after this record (watermark, byte offset…); source-specific. */
  readonly resume?: string;
}

export interface Envelope<T> {
  readonly value: T;
  readonly position: Position;
  /** Where the record came from, for rejects and provenance (e.g. "shop-a.companies"). */
  readonly source: string;
  ack(): void;
  nack(err: unknown): void;
}

export function mapEnvelope<A, B>(env: Envelope<A>, value: B): Envelope<B> {
  return { value, position: env.position, source: env.source, ack: env.ack, nack: env.nack };
}

export function formatPosition(p: Position): string {
  return `${p.partition}@${p.offset}`;
}
