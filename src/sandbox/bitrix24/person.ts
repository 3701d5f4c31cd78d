/**
 * A person working in the portal's UI, for tests: seeded records are theirs, and `editAsPerson`
 * changes a record the way their edit would (MODIFY_BY_ID = the person, DATE_MODIFY = now), so a
 * test can make "someone corrected the title" happen between two pipeline runs.
 */
import { isoWithOffset } from './envelope.js';
import { upperKeys } from './methods/context.js';
import { applyUpdate } from './methods/entity-writer.js';
import type { EntityName } from './schema.js';
import type { PortalStore } from './store.js';

/** The sales manager the sandbox's people's records belong to. */
export const PERSON_USER_ID = '7';

/** A user who is not the webhook's: 7, or 8 when the webhook itself is user 7. */
export function personUserFor(webhookUser: string): string {
  return webhookUser === PERSON_USER_ID ? '8' : PERSON_USER_ID;
}

/**
 * Applies `fields` (the crm.*.update shape: TITLE, COMMENTS…, multifields as arrays of {VALUE},
 * {ID, VALUE} or {ID, DELETE: 'Y'}) as `userId` would in the UI. DATE_MODIFY
 * moves past the record's previous one even within the same second (the portal prints seconds),
 * so a test never sleeps to make an edit "later" than the pipeline's write.
 */
export function editAsPerson(
  store: PortalStore,
  entity: EntityName,
  id: number,
  fields: Record<string, unknown>,
  userId: string,
): void {
  const current = store.get(entity, id);
  if (!current) throw new Error(`editAsPerson: no ${entity} with ID ${id}`);
  const next = applyUpdate(entity, current, upperKeys(fields), { store, userId });
  const before = Date.parse(current.fields.DATE_MODIFY || current.fields.DATE_CREATE || '') || 0;
  next.fields.DATE_MODIFY = isoWithOffset(Math.max(Date.now(), before + 1000));
  store.put(entity, next);
}
