import { CrmUnifyError } from '../core/errors.js';
import type { CrmDelivery } from '../delivery/crm-delivery.js';
import type { CanonicalChange } from '../model/index.js';
import type { Resolver } from '../resolve/resolver.js';

/** A company record an EGRUL_NOT_FOUND reject kept, and where it was read. */
export interface HeldRecord {
  change: CanonicalChange;
  position: string;
}

/** Loads the held records of one INN the register now lists; resolves once the CRM holds the company. */
export type FoundLoader = (inn: string, held: readonly HeldRecord[]) => Promise<void>;

/**
 * A company found after its reject is loaded as if its records had just arrived (issue 19 item 3):
 * each held version through the resolver, oldest first (it keeps the newest, as for a source), so
 * the contacts it carried come along and contacts parked on it (Shop A) attach; then delivered with
 * the pipeline's delivery, which merges the request with the topologies' own.
 */
export function foundLoader(resolver: Pick<Resolver, 'resolve'>, delivery: Pick<CrmDelivery, 'deliver'>): FoundLoader {
  return async (inn, held) => {
    const changedAt = (c: CanonicalChange): string => (c.kind === 'company' ? c.company.changedAt : '');
    for (const h of [...held].sort((a, b) => changedAt(a.change).localeCompare(changedAt(b.change)))) {
      await resolver.resolve(h.change, { ref: h.position });
    }
    const [outcome] = await delivery.deliver([inn]);
    if (outcome?.status !== 'synced' && outcome?.status !== 'unchanged') {
      throw new CrmUnifyError(
        'CRM_COMMAND_FAILED',
        `company ${inn}, found in the register, was not loaded: ${outcome?.status ?? 'no outcome'} ${outcome?.detail ?? ''}`.trim(),
      );
    }
  };
}
