import { decodeShopBEvent, mapPartner, mapShopBEvent } from '../../mappers/index.js';
import { accept, type CanonicalChange, type Outcome } from '../../model/index.js';
import { workerMapper } from './map-thread.js';

/** Mappers the map-thread tests send to the thread by module and export name. */

export const partnerMapper = workerMapper(import.meta.url, 'partnerMapper', (value: unknown) => mapPartner(value));

export const eventMapper = workerMapper(import.meta.url, 'eventMapper', (value: Uint8Array): Outcome<CanonicalChange> => {
  const event = decodeShopBEvent(value);
  return event.ok ? mapShopBEvent(event.value) : event;
});

/** Throws for odd numbers (a mapper bug on some input), deletes the rest. */
export const oddThrows = workerMapper(import.meta.url, 'oddThrows', (n: number): Outcome<CanonicalChange> => {
  if (n % 2) throw new TypeError(`cannot read properties of record ${n}`);
  return accept({ kind: 'delete', entity: 'company', source: 'test', sourceId: String(n), changedAt: '2026-01-01T00:00:00.000Z' });
});

/** Ends its thread (as a crash of the thread would). */
export const exits = workerMapper(import.meta.url, 'exits', (): Outcome<CanonicalChange> => process.exit(3));
