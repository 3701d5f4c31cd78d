import { z } from 'zod';

/**
 * Canonical records: what every store's mapper produces and every shared stage consumes.
 * Display values are kept as cleaned; folding (case, ё/е) is only ever applied to match keys.
 */
export const legalFormCodes = ['OOO', 'AO', 'PAO', 'ZAO', 'OAO', 'NKO', 'IP', 'GUP', 'MUP', 'KFH', 'OTHER'] as const;
export const LegalFormCode = z.enum(legalFormCodes);
export type LegalFormCode = z.infer<typeof LegalFormCode>;

export const Phone = z.object({
  /** E.164, e.g. +74955005550 */
  e164: z.string().regex(/^\+\d{8,15}$/),
  /** Extension dialled after the number (доб. 123), kept apart. */
  ext: z
    .string()
    .regex(/^\d{1,6}$/)
    .optional(),
  /** libphonenumber-js type when known: MOBILE, FIXED_LINE, … */
  type: z.string().optional(),
});
export type Phone = z.infer<typeof Phone>;

export const SourceRef = z.object({
  /** Source system, e.g. "shop-a" or "shop-b". */
  source: z.string().min(1),
  /** The record's id in that source (companies.id, partnerId, contactId…). */
  sourceId: z.string().min(1),
  /** Source change time (ISO 8601): survivorship orders by it. */
  changedAt: z.string().datetime({ offset: true }),
});
export type SourceRef = z.infer<typeof SourceRef>;

export const Requisite = z.object({
  inn: z.string().regex(/^\d{10}$|^\d{12}$/),
  kpp: z
    .string()
    .regex(/^\d{4}[\dA-Z]{2}\d{3}$/)
    .optional(),
  ogrn: z
    .string()
    .regex(/^\d{13}$/)
    .optional(),
  ogrnip: z
    .string()
    .regex(/^\d{15}$/)
    .optional(),
  name: z.string().optional(),
  fullName: z.string().optional(),
});
export type Requisite = z.infer<typeof Requisite>;

export const BankAccount = z.object({
  bik: z.string().regex(/^\d{9}$/),
  account: z.string().regex(/^\d{20}$/),
  corrAccount: z
    .string()
    .regex(/^\d{20}$/)
    .optional(),
  bankName: z.string().optional(),
});
export type BankAccount = z.infer<typeof BankAccount>;

export const Company = SourceRef.extend({
  kind: z.enum(['ORG', 'IE']),
  name: z.string().min(1),
  fullName: z.string().optional(),
  legalForm: LegalFormCode.optional(),
  address: z.string().optional(),
  phones: z.array(Phone),
  emails: z.array(z.string().email()),
  requisite: Requisite,
  bankAccounts: z.array(BankAccount),
  /** The store marks it blocked / inactive (kept for the CRM, not a reject by itself). */
  blocked: z.boolean().default(false),
});
export type Company = z.infer<typeof Company>;

export const Contact = SourceRef.extend({
  /** The company this person belongs to, as a reference into the same source. */
  company: z.object({ source: z.string(), sourceId: z.string() }).nullable(),
  lastName: z.string().optional(),
  firstName: z.string().optional(),
  middleName: z.string().optional(),
  position: z.string().optional(),
  phones: z.array(Phone),
  emails: z.array(z.string().email()),
});
export type Contact = z.infer<typeof Contact>;

/**
 * What a store mapper emits per source record. A Shop B partner yields one company upsert and
 * its contacts; a delete names the source record whose contribution is withdrawn.
 */
export type CanonicalChange =
  | { kind: 'company'; company: Company; contacts: Contact[] }
  | { kind: 'contact'; contact: Contact }
  | { kind: 'delete'; entity: 'company' | 'contact'; source: string; sourceId: string; changedAt: string };
