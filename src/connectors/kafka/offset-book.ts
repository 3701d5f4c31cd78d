import { OrderedAcks } from '../../core/ordered-acks.js';
import { partitionName } from './record.js';

/** An offset to commit: the next one to read in a partition (Kafka's convention). */
export interface CommitOffset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Where the source stands in each partition of one topic: the group's committed offsets, the
 * topic's low and high watermarks, how far the fetches got, the end offsets `--once` aims for,
 * and which emitted records are acked. From these it answers lag, `--once`'s "drained" and what
 * to commit: per partition, the offset after the last record whose every predecessor is acked.
 */
export class OffsetBook {
  private acks = new OrderedAcks();
  private readonly dirty = new Set<number>();
  private readonly fetchedTo = new Map<number, bigint>();
  private readonly highWatermarks = new Map<number, bigint>();
  private readonly committedNext = new Map<number, bigint>();
  private readonly lowOffsets = new Map<number, bigint>();
  private endOffsets: Map<number, bigint> | undefined;

  constructor(readonly topic: string) {}

  /**
   * The start: the group's committed offsets (negative = none) and the topic's offset range;
   * with `once`, the high watermarks are the end offsets to reach.
   */
  load(
    committed: ReadonlyArray<{ partition: number; offset: string }>,
    range: ReadonlyArray<{ partition: number; low: string; high: string }>,
    once: boolean,
  ): void {
    for (const { partition, offset } of committed) {
      if (Number(offset) >= 0) this.committedNext.set(partition, BigInt(offset));
    }
    for (const r of range) {
      this.lowOffsets.set(r.partition, BigInt(r.low));
      this.highWatermarks.set(r.partition, BigInt(r.high));
    }
    if (once) this.endOffsets = new Map(range.map((r) => [r.partition, BigInt(r.high)]));
  }

  /** A rebalance: records emitted before it are neither committed nor counted as fetched. */
  reset(): void {
    this.acks = new OrderedAcks();
    this.dirty.clear();
    this.fetchedTo.clear();
  }

  /** A batch fetched up to `lastOffset`; `highWatermark` is the partition's end as it reported. */
  fetched(partition: number, lastOffset: string, highWatermark: string): void {
    this.fetchedTo.set(partition, BigInt(lastOffset) + 1n);
    this.highWatermarks.set(partition, BigInt(highWatermark));
  }

  /** A record handed to the pipeline: commits will not pass it until it is acked. */
  track(partition: number, offset: bigint): void {
    this.acks.track(partitionName(this.topic, partition), offset);
  }

  ack(partition: number, offset: bigint): void {
    if (this.acks.ack(partitionName(this.topic, partition), offset)) this.dirty.add(partition);
  }

  /** Messages not yet committed, summed over partitions (from the fetches' high watermarks). */
  get lag(): number {
    let lag = 0n;
    for (const [p, hw] of this.highWatermarks) {
      // The furthest of the low watermark, the committed offset and the acked one.
      let position = this.lowOffsets.get(p) ?? 0n;
      const committed = this.committedNext.get(p);
      if (committed !== undefined && committed > position) position = committed;
      const acked = this.ackedNext(p);
      if (acked !== undefined && acked > position) position = acked;
      if (hw > position) lag += hw - position;
    }
    return Number(lag);
  }

  /**
   * What to commit now among the partitions `owns` says are ours: acked positions past the
   * committed ones. Taking them clears the marks; `failed()` puts them back.
   */
  toCommit(owns: (partition: number) => boolean): CommitOffset[] {
    const offsets: CommitOffset[] = [];
    for (const p of this.dirty) {
      const next = this.ackedNext(p);
      if (!owns(p) || next === undefined) continue;
      if ((this.committedNext.get(p) ?? -1n) < next)
        offsets.push({ topic: this.topic, partition: p, offset: next.toString() });
    }
    this.dirty.clear();
    return offsets;
  }

  committed(offsets: readonly CommitOffset[]): void {
    for (const o of offsets) this.committedNext.set(o.partition, BigInt(o.offset));
  }

  /** A commit that did not go through: the next `toCommit()` offers these partitions again. */
  failed(offsets: readonly CommitOffset[]): void {
    for (const o of offsets) this.dirty.add(o.partition);
  }

  /** `--once`: every partition fetched up to the end offsets recorded at start. */
  reachedEnd(): boolean {
    if (!this.endOffsets) return false;
    for (const [p, end] of this.endOffsets) {
      const position = this.fetchedTo.get(p) ?? this.committedNext.get(p) ?? this.lowOffsets.get(p) ?? 0n;
      if (position < end) return false;
    }
    return true;
  }

  /** The offset after the last record acked with all its predecessors, if any. */
  private ackedNext(partition: number): bigint | undefined {
    const c = this.acks.committable(partitionName(this.topic, partition));
    return c && c.offset + 1n;
  }
}
