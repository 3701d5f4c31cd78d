/**
 * Where the dump's committed position lives. The same shape as the MySQL connector's store (one
 * LevelDB-backed object serves both); kept here too because connectors do not import each
 * other — hoist to src/core once the state store owns it.
 */
export interface PositionStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * Coalesces commits: only the latest value per key is kept, one write runs at a time, and a
 * failed write is thrown by `flush()`/`check()` rather than swallowed.
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

/**
 * The stored position: the last contiguously acked element index, plus the file's size and
 * mtime — a different file under the same name starts over instead of skipping its head.
 */
export interface DumpPosition {
  index: number;
  size: number;
  mtimeMs: number;
  done?: boolean;
}

export const dumpKey = (name: string): string => `json-dump/${name}`;

export function parseDumpPosition(text: string | undefined): DumpPosition | undefined {
  if (text === undefined) return undefined;
  const v = JSON.parse(text) as Partial<DumpPosition>;
  if (typeof v.index !== 'number' || typeof v.size !== 'number' || typeof v.mtimeMs !== 'number') throw new TypeError(`not a dump position: ${text}`);
  return { index: v.index, size: v.size, mtimeMs: v.mtimeMs, ...(v.done ? { done: true } : {}) };
}
