import type { Envelope } from '../core/envelope.js';
import { formatPosition } from '../core/envelope.js';
import type { RejectSink } from '../core/rejects.js';
import { scrub, scrubValue } from '../core/secrets.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CanonicalChange, RejectReason } from '../model/index.js';
import { rejectOps } from '../state/helpers.js';
import type { StateStore } from '../state/store.js';

/** Rejects kept in the state store (the seed system's "separate table"), counted by reason. */
export class StateRejectSink implements RejectSink {
  constructor(
    private readonly store: StateStore,
    private readonly metrics?: Metrics,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reject(env: Envelope<unknown>, reason: RejectReason, detail: string, sourceId?: string | null): Promise<void> {
    await this.store.batch(
      rejectOps({
        reason,
        // Details may quote input; they never carry a secret, whatever the input held.
        detail: scrub(detail).slice(0, 2000),
        source: env.source,
        sourceId: sourceId === undefined || sourceId === null ? null : scrub(sourceId).slice(0, 500),
        position: formatPosition(env.position),
        at: this.now().toISOString(),
        ...heldFor(reason, env.value),
      }),
    );
    this.metrics?.rejects.inc({ source: env.source, reason });
  }
}

/**
 * What a reject keeps of its record to load it later without the source: a company the register
 * did not list yet (EGRUL_NOT_FOUND) is kept as mapped, with the contacts it carried, for the
 * register sweep (issue 19). Other rejects keep nothing: their cause is in the record itself.
 */
function heldFor(reason: RejectReason, value: unknown): { held?: CanonicalChange } {
  const change = value as CanonicalChange | null;
  if (reason !== 'EGRUL_NOT_FOUND' || change?.kind !== 'company') return {};
  return { held: scrubValue(change) };
}
