import type { StateStats, StateStore } from './store.js';

/**
 * Counts by scanning the namespaces: exact and simple. The store is single-writer and the
 * numbers are for an operator or an occasional gauge, so a scan is cheaper than keeping
 * counters consistent inside every batch.
 */
export async function computeStats(store: StateStore): Promise<StateStats> {
  const stats: StateStats = {
    companies: { total: 0, active: 0, deleted: 0, pending: 0, synced: 0 },
    contacts: { total: 0, active: 0, deleted: 0, merged: 0, pending: 0, synced: 0 },
    links: { companies: 0, contacts: 0, parkedContacts: 0 },
    rejects: { total: 0, byReason: {} },
    matchKeys: 0,
    positions: 0,
    registry: 0,
    crmIds: 0,
    pending: 0,
  };
  for await (const [, c] of store.iterate('companies')) {
    stats.companies.total++;
    stats.companies[c.status]++;
    if (c.delivery === 'pending') stats.companies.pending++;
    if (c.delivery === 'synced') stats.companies.synced++;
  }
  for await (const [, c] of store.iterate('contacts')) {
    stats.contacts.total++;
    stats.contacts[c.status]++;
    if (c.delivery === 'pending') stats.contacts.pending++;
    if (c.delivery === 'synced') stats.contacts.synced++;
  }
  for await (const [, l] of store.iterate('links')) {
    if (l.entity === 'company') stats.links.companies++;
    else {
      stats.links.contacts++;
      if (l.parked) stats.links.parkedContacts++;
    }
  }
  for await (const [, r] of store.iterate('rejects')) {
    stats.rejects.total++;
    stats.rejects.byReason[r.reason] = (stats.rejects.byReason[r.reason] ?? 0) + 1;
  }
  stats.matchKeys = await store.count('matchKeys');
  stats.positions = await store.count('positions');
  stats.registry = await store.count('registry');
  stats.crmIds = await store.count('crmIds');
  stats.pending = await store.count('pending');
  return stats;
}
