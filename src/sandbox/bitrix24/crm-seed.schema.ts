/**
 * The `--crm-seed` file: companies people already entered in a CRM, with their requisites, bank
 * details and contacts, so a team can rehearse a migration against a copy of its portal.
 *
 *   { "companies": [ { "title": "Ромашка", "comments"?: "…", "assignedById"?: 7, "createdById"?: 7,
 *       "dateCreate"?: "2024-03-01T10:00:00+03:00", "phones"?: ["+7 495 500-55-50"], "emails"?: ["info@x.ru"],
 *       "requisites"?: [ { "inn": "7707083893", "kpp"?: "773601001", "ogrn"?: "1027700132195", "name"?: "…",
 *           "bankDetails"?: [ { "bik": "044525225", "account": "4070…", "corrAccount"?: "3010…",
 *                               "bankName"?: "ПАО СБЕРБАНК", "name"?: "…" } ] } ],
 *       "contacts"?: [ { "name"?, "lastName"?, "secondName"?, "post"?, "phones"?, "emails"?,
 *                        "comments"?, "assignedById"?, "createdById"?, "dateCreate"? } ] } ] }
 *
 * Unknown keys are errors (a typo must not silently drop data). The INN is checked for its shape
 * only: a CRM copy holds INNs people mistyped, and the pipeline must see them as they are.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

// The same syntax the portal's own e-mail check uses (multifield.ts), so a seed never fails mid-way.
const emailRe = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const text = z.string().trim().min(1);
const userId = z.number().int().positive();
const pastDate = z.iso
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) <= Date.now(), 'must not be in the future');
const phones = z.array(text).optional();
const emails = z.array(z.string().trim().regex(emailRe, 'not an e-mail address')).optional();

const bankDetailSchema = z.strictObject({
  bik: z.string().regex(/^\d{9}$/, 'a BIK has 9 digits'),
  account: z.string().regex(/^\d{20}$/, 'an account number has 20 digits'),
  corrAccount: z
    .string()
    .regex(/^\d{20}$/, 'a correspondent account has 20 digits')
    .optional(),
  bankName: text.optional(),
  name: text.optional(),
});

const requisiteSchema = z.strictObject({
  inn: z.string().regex(/^\d{10}(\d{2})?$/, 'an INN has 10 digits (organization) or 12 (sole proprietor)'),
  kpp: z
    .string()
    .regex(/^\d{4}[\dA-Z]{2}\d{3}$/, 'a KPP has 9 characters: 4 digits, 2 digits or capitals, 3 digits')
    .optional(),
  ogrn: z
    .string()
    .regex(/^\d{13}(\d{2})?$/, 'an OGRN has 13 digits, an OGRNIP 15')
    .optional(),
  name: text.optional(),
  bankDetails: z.array(bankDetailSchema).default([]),
});

const contactSchema = z
  .strictObject({
    name: text.optional(),
    lastName: text.optional(),
    secondName: text.optional(),
    post: text.optional(),
    phones,
    emails,
    comments: z.string().optional(),
    assignedById: userId.optional(),
    createdById: userId.optional(),
    dateCreate: pastDate.optional(),
  })
  .refine((c) => c.name !== undefined || c.lastName !== undefined, {
    message: 'a contact needs name or lastName',
    path: ['name'],
  });

const companySchema = z.strictObject({
  title: text,
  comments: z.string().optional(),
  assignedById: userId.optional(),
  createdById: userId.optional(),
  dateCreate: pastDate.optional(),
  phones,
  emails,
  requisites: z.array(requisiteSchema).default([]),
  contacts: z.array(contactSchema).default([]),
});

export const crmSeedSchema = z.strictObject({ companies: z.array(companySchema) });

export type CrmSeed = z.input<typeof crmSeedSchema>;
export type ParsedCrmSeed = z.output<typeof crmSeedSchema>;
export type SeedCompany = ParsedCrmSeed['companies'][number];
export type SeedContact = SeedCompany['contacts'][number];

/** `companies[3].requisites[0].inn` */
function pathText(path: readonly PropertyKey[]): string {
  if (!path.length) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Checks a seed; every problem is named by its path, all at once. */
export function parseCrmSeed(raw: unknown, origin = 'CRM seed'): ParsedCrmSeed {
  const parsed = crmSeedSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${pathText(i.path)}: ${i.message}`);
  throw new Error(`${origin} is invalid:\n  - ${lines.join('\n  - ')}`);
}

export function readCrmSeed(file: string): ParsedCrmSeed {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`CRM seed ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return parseCrmSeed(raw, `CRM seed ${file}`);
}
