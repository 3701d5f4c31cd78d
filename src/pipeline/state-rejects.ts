import type { Envelope } from '../core/envelope.js';
import { formatPosition } from '../core/envelope.js';
import type { RejectSink } from '../core/rejects.js';
import { scrub } from '../core/secrets.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RejectReason } from '../model/index.js';
import { rejectOps } from '../state/helpers.js';
import type { StateStore } from '../state/store.js';

/** Rejects kept in the state store (the seed system's "separate table"), counted by reason. */
export class StateRejectSink implements RejectSink {
  constructor(private readonly store: StateStore, private readonly metrics?: Metrics, private readonly now: () => Date = () => new Date()) {}

  async reject(env: Envelope<unknown>, reason: RejectReason, detail: string, sourceId?: string | null): Promise<void> {
    await this.store.batch(rejectOps({
      reason,
      // Details may quote input; they never carry a secret, whatever the input held.
      detail: scrub(detail).slice(0, 2000),
      source: env.source,
      sourceId: sourceId === undefined || sourceId === null ? null : scrub(sourceId).slice(0, 500),
      position: formatPosition(env.position),
      at: this.now().toISOString(),
    }));
    this.metrics?.rejects.inc({ source: env.source, reason });
  }
}
