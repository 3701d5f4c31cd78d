import type { RejectReason } from '../model/reject-reasons.js';
import type { Envelope } from './envelope.js';

/**
 * Where rejected records go. `reject` resolves only once the reject is durable (state store,
 * DLQ topic); only then is the record acked, so a crash in between re-reads and re-rejects it.
 */
export interface RejectSink {
  reject(env: Envelope<unknown>, reason: RejectReason, detail: string, sourceId?: string | null): Promise<void>;
}
