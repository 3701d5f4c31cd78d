/**
 * The delta cursor: `(updated_at, id)`, compared as a pair so rows sharing one `updated_at` are
 * never lost. `updatedAt` is the column's text as the server returns it with `dateStrings`
 * ('YYYY-MM-DD HH:MM:SS[.ffffff]'), kept verbatim: no time zone conversion can shift it.
 */
export interface Watermark {
  updatedAt: string;
  id: number;
}

export const EPOCH: Watermark = { updatedAt: '1970-01-01 00:00:00', id: 0 };

export function compareWatermarks(a: Watermark, b: Watermark): number {
  const t = toMicros(a.updatedAt) - toMicros(b.updatedAt);
  if (t !== 0n) return t < 0n ? -1 : 1;
  return a.id - b.id;
}

export function maxWatermark(a: Watermark, b: Watermark): Watermark {
  return compareWatermarks(a, b) >= 0 ? a : b;
}

export function serializeWatermark(w: Watermark): string {
  return JSON.stringify({ updatedAt: w.updatedAt, id: w.id });
}

export function parseWatermark(text: string): Watermark {
  const v = JSON.parse(text) as Partial<Watermark>;
  if (typeof v.updatedAt !== 'string' || typeof v.id !== 'number' || Number.isNaN(toMicros(v.updatedAt))) {
    throw new TypeError(`not a delta watermark: ${text}`);
  }
  return { updatedAt: v.updatedAt, id: v.id };
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** Naive (zone-less) DATETIME text to microseconds since 1970, as if it were UTC. */
export function toMicros(text: string): bigint {
  const m = DATETIME.exec(text);
  if (!m) throw new TypeError(`not a DATETIME: ${text}`);
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

export function fromMicros(us: bigint): string {
  const d = new Date(Number(us / 1000n));
  const frac = (us % 1_000_000n).toString().padStart(6, '0');
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${frac}`;
}

/** Where a poll cycle starts: `lookbackSeconds` before the watermark, before any id. */
export function lookbackStart(w: Watermark, lookbackSeconds: number): Watermark {
  if (lookbackSeconds <= 0) return w;
  const start = toMicros(w.updatedAt) - BigInt(Math.round(lookbackSeconds * 1e6));
  return { updatedAt: fromMicros(start < 0n ? 0n : start), id: 0 };
}

/** Seconds from `a` to `b` (naive DATETIME texts). */
export function secondsBetween(a: string, b: string): number {
  return Number(toMicros(b) - toMicros(a)) / 1e6;
}

/** A moment as the naive DATETIME text of a zone given as an offset ('+03:00'). */
export function datetimeAt(moment: Date, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const shifted = moment.getTime() + sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
  return fromMicros(BigInt(shifted) * 1000n);
}
