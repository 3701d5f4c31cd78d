import { z } from 'zod';

/**
 * Shop B (SAP CRM business partners) as it arrives: Kafka change events and dump entries.
 * Lenient where SAP is known to be loose (nulls for empty fields, absent arrays), strict on what
 * identity depends on (partnerId, kind, the event type and time).
 */
const optionalText = z.string().nullish();
const textList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);
/** ISO 8601 with seconds and a zone (Z or an offset); shop-b.check.ts runs this same schema. */
export const IsoDateTime = z.string().datetime({ offset: true });

export const TaxNumber = z.object({
  type: z.string().min(1), // INN, KPP, OGRN, OGRNIP — others are ignored, not errors
  value: z.union([z.string(), z.number().transform(String)]),
});

export const PartnerBankAccount = z.object({
  bik: optionalText,
  account: optionalText,
  corrAccount: optionalText,
  bankName: optionalText,
});

export const PartnerContact = z.object({
  contactId: z.union([z.string().min(1), z.number().transform(String)]),
  lastName: optionalText,
  firstName: optionalText,
  middleName: optionalText,
  position: optionalText,
  phones: textList,
  emails: textList,
});

export const Partner = z.object({
  partnerId: z.string().min(1),
  kind: z.enum(['ORG', 'IE']),
  name: z.string(),
  fullName: optionalText,
  taxNumbers: z
    .array(TaxNumber)
    .nullish()
    .transform((v) => v ?? []),
  address: optionalText,
  phones: textList,
  emails: textList,
  bankAccounts: z
    .array(PartnerBankAccount)
    .nullish()
    .transform((v) => v ?? []),
  blocked: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  changedAt: IsoDateTime,
  contacts: z
    .array(PartnerContact)
    .nullish()
    .transform((v) => v ?? []),
});
export type Partner = z.infer<typeof Partner>;

const envelope = {
  eventId: z.string().min(1),
  occurredAt: IsoDateTime,
};

export const ShopBEvent = z.discriminatedUnion('type', [
  z.object({ ...envelope, type: z.literal('PARTNER_UPSERT'), partner: Partner }),
  z.object({
    ...envelope,
    type: z.literal('PARTNER_DELETE'),
    partner: z.object({ partnerId: z.string().min(1) }).loose(),
  }),
]);
export type ShopBEvent = z.infer<typeof ShopBEvent>;
