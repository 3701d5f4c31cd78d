import type { PortalError } from './classify.js';
import { readRows } from './multifields.js';
import { markUnknown, type Op, type Work } from './plan.js';

/** Errors inside a batch that mean "try again", not "the portal refuses this record". */
const transientCodes = new Set([
  'INTERNAL_SERVER_ERROR',
  'ERROR_UNEXPECTED_ANSWER',
  'QUERY_LIMIT_EXCEEDED',
  'OPERATION_TIME_LIMIT',
  'OVERLOAD_LIMIT',
]);
const notFound = /not found/i;

const idOf = (ref: string): string => ref.slice(ref.indexOf(':') + 1);

/** Records a confirmed answer in the work's ids. */
export function applySuccess(w: Work, op: Op, value: unknown): void {
  const ids = w.ids;
  const key = idOf(op.ref);
  if (op.write) w.writes++;
  if (op.sends) (ids.sent ??= {})[op.ref] = op.sends;
  switch (op.kind) {
    case 'company':
      if (op.create) ids.companyId = Number(value);
      // Rows sent without ids now have ids we do not know: a later update that needs them reads them.
      if (op.touchesRows) ids.companyRows = undefined;
      else if (op.create) ids.companyRows = [];
      break;
    case 'requisite':
      if (op.create) ids.requisites[key] = Number(value);
      break;
    case 'bank':
      if (op.create) ids.bankDetails[key] = Number(value);
      break;
    case 'contact': {
      const id = op.create ? Number(value) : (ids.contacts[key]?.id ?? 0);
      ids.contacts[key] = { id, rows: op.touchesRows ? undefined : op.create ? [] : ids.contacts[key]?.rows };
      break;
    }
    case 'prune':
      if (op.ref.startsWith('rq:')) {
        delete ids.requisites[key];
        // The portal deletes a requisite's bank details with it.
        for (const [bk, sent] of Object.entries(ids.sent ?? {})) {
          if (bk.startsWith('bd:') && sent._rq === key) {
            delete ids.bankDetails[idOf(bk)];
            delete ids.sent![bk];
          }
        }
      } else {
        delete ids.bankDetails[key];
      }
      delete ids.sent?.[op.ref];
      break;
    case 'remove':
      delete ids.contacts[key];
      w.mergedAway.push(key);
      break;
    case 'lookup':
      adopt(w, op, Array.isArray(value) ? (value as Array<Record<string, unknown>>) : []);
      w.verified.add(op.ref);
      return;
  }
  w.applied.add(op.ref);
}

/**
 * A look-up answer: adopt what exists (the lowest ID if an earlier fault left twins), forget what
 * does not, so the next plan creates exactly the missing entities. Each entity is decided by its
 * own look-up only, so the answers may arrive in any order and over several batches.
 */
function adopt(w: Work, op: Op, rows: Array<Record<string, unknown>>): void {
  const ids = w.ids;
  const key = idOf(op.ref);
  const first = rows[0];
  const id = first ? Number(first.ID) : undefined;
  // Nothing of ours found: before anything is created, look again at what people entered (an
  // adoption whose origin fields were lost with an answer is found there, not by origin).
  if (
    id === undefined &&
    (op.ref === 'c' || (ids.preexisting && (op.ref.startsWith('rq:') || op.ref.startsWith('bd:'))))
  )
    w.innChecked = false;
  if (id === undefined && ids.preexisting && op.ref.startsWith('ct:')) w.contactsChecked = false;
  if (op.ref === 'c') {
    ids.companyId = id;
    ids.companyRows = first ? readRows(first) : undefined;
  } else if (op.ref.startsWith('rq:')) {
    if (id === undefined) delete ids.requisites[key];
    else ids.requisites[key] = id;
  } else if (op.ref.startsWith('bd:')) {
    if (id === undefined) delete ids.bankDetails[key];
    else ids.bankDetails[key] = id;
  } else if (op.ref.startsWith('ct:') || op.ref.startsWith('mg:')) {
    if (id === undefined || !first) delete ids.contacts[key];
    else ids.contacts[key] = { id, rows: op.ref.startsWith('ct:') ? readRows(first) : undefined };
    if (op.ref.startsWith('mg:') && id === undefined) w.applied.add(op.ref); // nothing left to remove
  }
}

/**
 * A command the portal failed. Returns nothing to do for commands that only failed because a
 * `$result` they used was missing (the root failure speaks for them), flags a reconcile for a
 * write that may or may not have run, and rejects the record for a 400-type refusal.
 */
export function applyFailure(
  w: Work,
  op: Op,
  err: PortalError,
  failedKeys: ReadonlySet<string>,
  method = op.method,
): void {
  if (op.deps.some((d) => failedKeys.has(d))) return;
  const text = `${method}: ${err.error ? `${err.error} ` : ''}${err.error_description}`.trim();
  if (transientCodes.has(err.error)) {
    if (op.write) markUnknown(w);
    return; // a failed look-up stays unverified and is asked again next round
  }
  if ((op.kind === 'remove' || op.kind === 'prune') && notFound.test(err.error_description)) {
    applySuccess(w, op, true); // already gone: the goal is reached
    w.writes--;
    return;
  }
  // Updated entity vanished (deleted by hand in the CRM): look up again, and recreate if truly gone.
  if (op.write && !op.create && notFound.test(err.error_description)) {
    markUnknown(w);
    return;
  }
  w.rejected ??= text;
}
