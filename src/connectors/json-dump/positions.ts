export { PositionWriter, type PositionStore } from '../../core/positions.js';

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
  if (typeof v.index !== 'number' || typeof v.size !== 'number' || typeof v.mtimeMs !== 'number')
    throw new TypeError(`not a dump position: ${text}`);
  return { index: v.index, size: v.size, mtimeMs: v.mtimeMs, ...(v.done ? { done: true } : {}) };
}
