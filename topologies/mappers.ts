import type { DumpElement } from '../src/connectors/json-dump/json-dump.source.js';
import type { KafkaRawRecord } from '../src/connectors/kafka/record.js';
import type { MysqlRow } from '../src/connectors/mysql/rows.js';
import {
  decodeShopBEvent,
  mapPartner,
  mapShopAContact,
  mapShopACompany,
  mapShopBEvent,
  type ShopAContactRow,
  type ShopACompanyRow,
} from '../src/mappers/index.js';
import { reject, type CanonicalChange, type Outcome } from '../src/model/index.js';

/** From what each source emits to a store mapper: the only store-specific step of a topology. */
export function mapShopARow(raw: MysqlRow): Outcome<CanonicalChange> {
  if (raw.table === 'companies') return mapShopACompany(raw.row as unknown as ShopACompanyRow);
  if (raw.table === 'contacts') return mapShopAContact(raw.row as unknown as ShopAContactRow);
  return reject('MALFORMED_RECORD', `shop-a: unexpected table ${raw.table}`);
}

export function mapShopBDumpElement(raw: DumpElement): Outcome<CanonicalChange> {
  if (raw.problem) return reject(raw.problem.reason, `element ${raw.index}: ${raw.problem.detail}`);
  const out = mapPartner(raw.value);
  return out.ok ? out : { ...out, detail: `element ${raw.index}: ${out.detail}` };
}

/** A Shop B change event as the Kafka source (or the demo's memory topic) reads it. */
export type ShopBMessage = Pick<KafkaRawRecord, 'value' | 'tombstone'>;

export function mapShopBMessage(raw: ShopBMessage): Outcome<CanonicalChange> {
  if (raw.tombstone)
    return reject('MALFORMED_RECORD', 'tombstone (null value): Shop B sends PARTNER_DELETE events, not tombstones');
  const event = decodeShopBEvent(raw.value);
  return event.ok ? mapShopBEvent(event.value) : event;
}
