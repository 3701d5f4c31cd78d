import type { Dataset } from '../../src/gen/dataset.js';
import {
  decodeShopBEvent,
  mapPartner,
  mapShopAContact,
  mapShopACompany,
  mapShopBEvent,
} from '../../src/mappers/index.js';
import type { CanonicalChange, Outcome } from '../../src/model/index.js';

/**
 * Every record of a generated dataset mapped, in arrival order: Shop A's companies and contacts,
 * the dump, the Kafka events. Rejected records stay in as failed outcomes (callers that need
 * positions to line up with the records count them too).
 */
export function datasetOutcomes(ds: Dataset): Array<Outcome<CanonicalChange>> {
  return [
    ...ds.shopA.companies.map((r) => mapShopACompany(r as never)),
    ...ds.shopA.contacts.map((r) => mapShopAContact(r as never)),
    ...ds.shopB.dump.map((p) => mapPartner(p)),
    ...ds.shopB.events.map((e) => {
      const ev = decodeShopBEvent(e.value);
      return ev.ok ? mapShopBEvent(ev.value) : ev;
    }),
  ];
}
