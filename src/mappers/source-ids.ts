/**
 * Source names and sourceId conventions, in one place so the state store, rejects and the
 * CRM's provenance all agree:
 * - company: the store's own id as a string — Shop A `companies.id` ("42"), Shop B `partnerId`.
 * - contact: `contact:<id>` — Shop A `contacts.id`; Shop B `contact:<partnerId>:<contactId>`,
 *   because a SAP contactId is only known to be unique within its partner.
 * The prefix keeps company 42 and contact 42 of one store apart under one (source, sourceId) key.
 */
export const SHOP_A = 'shop-a';
export const SHOP_B = 'shop-b';

export const shopACompanyId = (id: number | string): string => String(id);
export const shopAContactId = (id: number | string): string => `contact:${id}`;
export const shopBCompanyId = (partnerId: string): string => partnerId;
export const shopBContactId = (partnerId: string, contactId: string): string => `contact:${partnerId}:${contactId}`;
