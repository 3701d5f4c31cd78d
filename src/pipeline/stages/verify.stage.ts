import type { OperatorFunction } from 'rxjs';
import type { EgrulVerifier } from '../../connectors/egrul/verifier.js';
import type { Envelope } from '../../core/envelope.js';
import { stage, type StageHooks } from '../../core/stage.js';
import { accept, type CanonicalChange, type Outcome } from '../../model/index.js';

/**
 * verify: only companies the register lists as active go on. A rejected company takes the
 * contacts delivered with it along (same reject, one record). Deletes and stand-alone contacts
 * pass: their company was (or will be) verified on its own record.
 */
export function verifyStage(
  verifier: EgrulVerifier,
  hooks: StageHooks,
  concurrency: number,
): OperatorFunction<Envelope<CanonicalChange>, Envelope<CanonicalChange>> {
  return stage(
    'verify',
    async (change: CanonicalChange): Promise<Outcome<CanonicalChange>> => {
      if (change.kind !== 'company') return accept(change);
      const verdict = await verifier.verify(change.company.requisite.inn);
      if (!verdict.ok) {
        const withContacts = change.contacts.length ? ` (with its ${change.contacts.length} contact(s))` : '';
        return { ...verdict, detail: `${verdict.detail}${withContacts}`, sourceId: change.company.sourceId };
      }
      return accept(change, verdict.warnings);
    },
    hooks,
    { concurrency },
  );
}
