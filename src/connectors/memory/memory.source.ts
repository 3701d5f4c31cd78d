import type { Envelope } from '../../core/envelope.js';
import { OrderedAcks, type Committable } from '../../core/ordered-acks.js';
import type { PullSource, ReadResult } from '../../core/pull-source.js';

export interface MemorySourceOptions {
  name: string;
  /** Resume after this index (the last committed one), as a restarted real source would. */
  after?: number;
  /** Told each time the committed position moves. */
  onCommit?: (c: Committable) => void | Promise<void>;
  /** Told when a record is nacked; by default the source keeps it uncommitted. */
  onNack?: (index: number, err: unknown) => void;
}

/**
 * An array as a pull source: the demo's embedded stores and tests. Positions are array indexes
 * in one partition; commits follow the same ordered-ack rule as the real sources.
 */
export class MemorySource<T> implements PullSource<T> {
  readonly name: string;
  private next: number;
  private readonly acks = new OrderedAcks();
  committed: number;

  constructor(
    private readonly items: readonly T[],
    private readonly opts: MemorySourceOptions,
  ) {
    this.name = opts.name;
    this.next = (opts.after ?? -1) + 1;
    this.committed = opts.after ?? -1;
  }

  get total(): number {
    return this.items.length;
  }

  async read(max: number): Promise<ReadResult<T>> {
    const records: Envelope<T>[] = [];
    while (records.length < max && this.next < this.items.length) {
      const index = this.next++;
      this.acks.track('0', BigInt(index));
      records.push({
        value: this.items[index] as T,
        position: { partition: '0', offset: BigInt(index) },
        source: this.name,
        ack: () => {
          const moved = this.acks.ack('0', BigInt(index));
          if (moved) {
            this.committed = Number(moved.offset);
            void this.opts.onCommit?.(moved);
          }
        },
        nack: (err) => this.opts.onNack?.(index, err),
      });
    }
    return { records, done: this.next >= this.items.length };
  }

  async close(): Promise<void> {}
}
