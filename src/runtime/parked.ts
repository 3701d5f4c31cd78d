import { rejectOps } from '../state/helpers.js';
import type { ContactLink } from '../state/records.js';
import type { StateOp, StateStore } from '../state/store.js';
import type { RunSummary } from '../pipeline/summary.js';

/**
 * At the end of a `--once` run, contacts still parked (their company record never arrived, or
 * was rejected: bad INN, not active in EGRUL) are rejected as COMPANY_REJECTED, so every source
 * record is accounted for. They stay parked too: should their company arrive later (a fixed INN
 * in the delta), they attach then.
 */
export async function rejectParkedContacts(
  store: StateStore,
  summary?: RunSummary,
  now = () => new Date(),
): Promise<number> {
  const ops: StateOp[] = [];
  let n = 0;
  for await (const [, link] of store.iterate('links', { prefix: 'ct|' })) {
    const l = link as ContactLink;
    if (!l.parked) continue;
    const c = l.parked.contact;
    ops.push(
      ...rejectOps({
        reason: 'COMPANY_REJECTED',
        detail: `its company record ${l.companyKey ?? '(none)'}${PARKED}`,
        source: c.source,
        sourceId: c.sourceId,
        position: l.parked.position,
        at: now().toISOString(),
      }),
    );
    summary?.countReject('COMPANY_REJECTED');
    n++;
    if (ops.length >= 2000) await store.batch(ops.splice(0));
  }
  if (ops.length) await store.batch(ops);
  return n;
}

const PARKED = ' was rejected or never arrived';

/** The company link key a COMPANY_REJECTED reject of a parked contact names (its detail, made above). */
export function companyKeyOfParked(detail: string): string | undefined {
  const m = /^its company record (\S+)(.*)$/.exec(detail);
  return m?.[2] === PARKED && m[1] !== '(none)' ? m[1] : undefined;
}
