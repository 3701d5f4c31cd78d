import type { CleaningWarning, RejectReason } from './reject-reasons.js';

/** The result of a stage on one record: a value (with counted warnings) or a reason-coded reject. */
export type Outcome<T> =
  | { ok: true; value: T; warnings: CleaningWarning[] }
  | { ok: false; reason: RejectReason; detail: string; sourceId?: string };

export function accept<T>(value: T, warnings: CleaningWarning[] = []): Outcome<T> {
  return { ok: true, value, warnings };
}

export function reject<T = never>(reason: RejectReason, detail: string, sourceId?: string): Outcome<T> {
  return sourceId === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, sourceId };
}
