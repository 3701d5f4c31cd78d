/**
 * Where a source's committed positions live. Deliberately tiny so the state store can implement
 * it, and so the commit point stays pluggable: a topology that wants positions written in the
 * same LevelDB batch as the state they produced passes a store whose `put` stages into that batch.
 */
export interface PositionStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** For tests and `--once` runs without a state dir. */
export class MemoryPositionStore implements PositionStore {
  readonly data = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }
  async put(key: string, value: string): Promise<void> {
    this.data.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
}

/**
 * Coalesces commits: acks move positions far more often than a store should be written, so only
 * the latest value per key is kept and one write runs at a time. A failed write is kept and
 * thrown by `flush()` (and by the source's next read), never swallowed.
 */
export class PositionWriter {
  private readonly pending = new Map<string, string>();
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly store: PositionStore) {}

  set(key: string, value: string): void {
    this.pending.set(key, value);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Throws the first failed write, if any. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
    this.check();
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const [key, value] = this.pending.entries().next().value as [string, string];
      this.pending.delete(key);
      try {
        await this.store.put(key, value);
      } catch (err) {
        this.failure ??= err;
      }
    }
  }
}
