/**
 * Ordered acknowledgment per partition: records finish in any order, but a position becomes
 * committable only when every record tracked at or below it is acked (Redpanda Connect's
 * checkpointer, kafkajs' resolveOffset). Offsets need not be contiguous (Kafka compaction).
 */
interface Slot {
  readonly offset: bigint;
  acked: boolean;
  resume: string | undefined;
}

class PartitionTracker {
  private readonly queue: Slot[] = [];
  private head = 0;
  private readonly byOffset = new Map<bigint, Slot>();
  committed: { offset: bigint; resume: string | undefined } | undefined;

  track(offset: bigint, resume: string | undefined): void {
    const last = this.queue[this.queue.length - 1];
    if (last && offset <= last.offset) {
      throw new RangeError(`offsets must increase within a partition: ${offset} after ${last.offset}`);
    }
    const slot: Slot = { offset, acked: false, resume };
    this.queue.push(slot);
    this.byOffset.set(offset, slot);
  }

  /** Marks one offset done; returns true when the committable position moved. */
  ack(offset: bigint): boolean {
    const slot = this.byOffset.get(offset);
    if (!slot) throw new RangeError(`offset ${offset} is not in flight`);
    slot.acked = true;
    let moved = false;
    while (this.head < this.queue.length && this.queue[this.head]!.acked) {
      const done = this.queue[this.head++]!;
      this.byOffset.delete(done.offset);
      this.committed = { offset: done.offset, resume: done.resume };
      moved = true;
    }
    // Compact now and then so a long run does not keep a growing array of settled slots.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return moved;
  }

  get pending(): number {
    return this.queue.length - this.head;
  }
}

export interface Committable {
  partition: string;
  /** The highest offset at or below which everything is acked. */
  offset: bigint;
  resume: string | undefined;
}

export class OrderedAcks {
  private readonly partitions = new Map<string, PartitionTracker>();

  track(partition: string, offset: bigint, resume?: string): void {
    this.partition(partition).track(offset, resume);
  }

  /** Acks one record; returns the new committable position of its partition if it moved. */
  ack(partition: string, offset: bigint): Committable | undefined {
    const tracker = this.partitions.get(partition);
    if (!tracker) throw new RangeError(`partition ${partition} has nothing in flight`);
    if (!tracker.ack(offset) || !tracker.committed) return undefined;
    return { partition, ...tracker.committed };
  }

  committable(partition: string): Committable | undefined {
    const c = this.partitions.get(partition)?.committed;
    return c && { partition, ...c };
  }

  /** Records tracked and not yet acked, across partitions (or in one). */
  pending(partition?: string): number {
    if (partition !== undefined) return this.partitions.get(partition)?.pending ?? 0;
    let n = 0;
    for (const t of this.partitions.values()) n += t.pending;
    return n;
  }

  /** Forgets a partition (e.g. revoked in a rebalance): nothing of it may be committed later. */
  drop(partition: string): void {
    this.partitions.delete(partition);
  }

  private partition(name: string): PartitionTracker {
    let t = this.partitions.get(name);
    if (!t) this.partitions.set(name, (t = new PartitionTracker()));
    return t;
  }
}
