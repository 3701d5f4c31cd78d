import type { OperatorFunction } from 'rxjs';
import { formatPosition, type Envelope } from '../../core/envelope.js';
import { stage, type StageHooks } from '../../core/stage.js';
import { accept, reject, type CanonicalChange, type Outcome } from '../../model/index.js';
import type { ResolveResult } from '../../resolve/apply-change.js';
import type { Resolver } from '../../resolve/resolver.js';

export interface Resolved {
  result: ResolveResult;
}

/**
 * resolve: entity resolution in the state store. The change's state is durable when this stage
 * emits; nothing is marked delivered here — the load stage does that after the CRM confirms.
 */
export function resolveStage(
  resolver: Resolver,
  hooks: StageHooks,
  concurrency: number,
): OperatorFunction<Envelope<CanonicalChange>, Envelope<Resolved>> {
  return stage(
    'resolve',
    async (change: CanonicalChange, env): Promise<Outcome<Resolved>> => {
      const result = await resolver.resolve(change, { ref: formatPosition(env.position) });
      if (result.outcome === 'rejected') {
        return reject(result.reason ?? 'MALFORMED_RECORD', `resolution refused the ${change.kind}`, sourceIdOf(change));
      }
      return accept({ result });
    },
    hooks,
    { concurrency },
  );
}

function sourceIdOf(change: CanonicalChange): string {
  if (change.kind === 'company') return change.company.sourceId;
  if (change.kind === 'contact') return change.contact.sourceId;
  return change.sourceId;
}
