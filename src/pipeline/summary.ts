import type { RejectReason } from '../model/index.js';
import type { ResolveOutcome } from '../resolve/apply-change.js';

/** A run's summary as printed (`--json`), logged and returned by the service. */
export interface RunSummaryJson {
  read: Record<string, number>;
  totalRead: number;
  resolved: Partial<Record<ResolveOutcome, number>>;
  rejected: Partial<Record<RejectReason, number>>;
  totalRejected: number;
  delivered: RunSummary['delivered'];
  warnings: Record<string, number>;
  durationMs: number;
}

/** What a run did, for the demo's table, `--json`, logs and tests. */
export class RunSummary {
  readonly startedAt = Date.now();
  readonly read: Record<string, number> = {};
  readonly rejected: Partial<Record<RejectReason, number>> = {};
  readonly resolved: Partial<Record<ResolveOutcome, number>> = {};
  readonly delivered = {
    synced: 0,
    unchanged: 0,
    rejected: 0,
    skipped: 0,
    writes: 0,
    adopted: 0,
    conflicts: 0,
    twins: 0,
  };
  readonly warnings: Record<string, number> = {};

  countRead(source: string): void {
    this.read[source] = (this.read[source] ?? 0) + 1;
  }

  countReject(reason: RejectReason): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  countResolved(outcome: ResolveOutcome): void {
    this.resolved[outcome] = (this.resolved[outcome] ?? 0) + 1;
  }

  countWarnings(warnings: readonly string[]): void {
    for (const w of warnings) this.warnings[w] = (this.warnings[w] ?? 0) + 1;
  }

  toJSON(): RunSummaryJson {
    return {
      read: this.read,
      totalRead: Object.values(this.read).reduce((a, b) => a + b, 0),
      resolved: this.resolved,
      rejected: this.rejected,
      totalRejected: Object.values(this.rejected).reduce((a, b) => a + (b ?? 0), 0),
      delivered: this.delivered,
      warnings: this.warnings,
      durationMs: Date.now() - this.startedAt,
    };
  }
}
