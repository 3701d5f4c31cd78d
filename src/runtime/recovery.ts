import { pendingRecords } from '../state/helpers.js';
import type { StateStore } from '../state/store.js';
import type { CrmDelivery } from '../delivery/crm-delivery.js';

/**
 * Delivers golden records a previous run left pending (killed between the state write and the
 * CRM's confirmation). Their source records are read again anyway (positions were not committed),
 * but delivering first makes the CRM whole before new input arrives.
 */
export async function deliverPending(store: StateStore, delivery: CrmDelivery, chunk = 500): Promise<number> {
  const inns = new Set<string>();
  const contactIds: string[] = [];
  for await (const m of pendingRecords(store)) {
    if (m.entity === 'company') inns.add(m.id);
    else contactIds.push(m.id);
  }
  for (const c of await store.getMany('contacts', contactIds)) if (c) inns.add(c.inn);
  const all = [...inns];
  for (let i = 0; i < all.length; i += chunk) await delivery.deliver(all.slice(i, i + chunk));
  return all.length;
}
