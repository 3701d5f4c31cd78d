import type { KafkaRawRecord } from './record.js';

/** Pauses and resumes the topic's fetches: the live consumer's, or nothing between consumers. */
export interface FetchFlow {
  pause(): void;
  resume(): void;
}

export interface Queued {
  readonly record: KafkaRawRecord;
  /** The group generation it was fetched in: a rebalance invalidates everything older. */
  readonly generation: number;
}

/**
 * The only buffer between kafkajs' fetches and the runtime's credit. Above `highWater` queued
 * records the topic is paused, and it is resumed once takes bring it down to `lowWater` — so a
 * slow pipeline slows the fetches instead of growing memory.
 *
 * Rebalance: after a group join kafkajs fetches every assigned partition again from its
 * committed offset, so `rebalance()` opens a new generation and drops what the old one queued;
 * a batch of the old generation that arrives late is not queued twice.
 */
export class FetchQueue {
  private queue: Queued[] = [];
  private head = 0;
  private gen = 0;
  private assigned = new Set<number>();
  private readonly lastQueued = new Map<number, bigint>();
  private paused = false;
  private flow: FetchFlow | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly highWater: number,
    private readonly lowWater: number,
  ) {}

  get generation(): number {
    return this.gen;
  }

  /** Records fetched and waiting for credit. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The consumer whose fetches pause and resume; none while it is being replaced. */
  attach(flow: FetchFlow | undefined): void {
    this.flow = flow;
  }

  owns(partition: number): boolean {
    return this.assigned.has(partition);
  }

  /** A group join: a new generation owning `partitions`, nothing queued, fetching resumed. */
  rebalance(partitions: readonly number[]): number {
    this.gen++;
    this.assigned = new Set(partitions);
    this.queue = [];
    this.head = 0;
    this.lastQueued.clear();
    if (this.paused && this.flow) {
      this.flow.resume();
      this.paused = false;
    }
    return this.gen;
  }

  /** Queues a fetched batch of an owned partition; pauses fetching at the high water mark. */
  push(partition: number, records: Iterable<KafkaRawRecord>): void {
    let last = this.lastQueued.get(partition) ?? -1n;
    for (const record of records) {
      const offset = BigInt(record.offset);
      // A batch fetched before a join can arrive after it: never queue an offset twice.
      if (offset <= last) continue;
      last = offset;
      this.queue.push({ generation: this.gen, record });
    }
    this.lastQueued.set(partition, last);
    if (!this.paused && this.queued >= this.highWater && this.flow) {
      this.flow.pause();
      this.paused = true;
    }
    this.wake();
  }

  /** Up to `max` records of the current generation, in fetch order; resumes at the low water mark. */
  take(max: number): Queued[] {
    const out: Queued[] = [];
    while (out.length < max && this.head < this.queue.length) {
      const q = this.queue[this.head++]!;
      if (q.generation === this.gen) out.push(q);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.queued <= this.lowWater && this.flow) {
      this.flow.resume();
      this.paused = false;
    }
    return out;
  }

  /** Resolves when records arrive, `wake()` is called or `ms` pass. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}
