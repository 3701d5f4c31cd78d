/**
 * The register the EGRUL emulator answers from: `{ "<inn>": { status, name, ogrn, kpp } }`, from
 * a JSON file or an object. Branches (extra KPPs) are optional; an INN of 12 digits is an
 * individual entrepreneur (INDIVIDUAL), 10 digits a legal entity (LEGAL).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const partyStatuses = ['ACTIVE', 'LIQUIDATING', 'LIQUIDATED', 'BANKRUPT', 'REORGANIZING'] as const;

const entrySchema = z.object({
  status: z.enum(partyStatuses),
  name: z.string().min(1),
  ogrn: z.string().optional(),
  kpp: z.string().optional(),
  fullName: z.string().optional(),
  address: z.string().optional(),
  branches: z
    .array(z.object({ kpp: z.string(), name: z.string().optional(), status: z.enum(partyStatuses).optional() }))
    .optional(),
});

const registrySchema = z.record(z.string(), entrySchema);
const patchSchema = z.record(z.string(), entrySchema.nullable());

export type RegistryEntry = z.infer<typeof entrySchema>;
export type Registry = Record<string, RegistryEntry>;
/** Entries to put in the register at run time; null takes an INN out of it. */
export type RegistryPatch = Record<string, RegistryEntry | null>;

/** Reads and checks a registry; every problem is named with its INN and field. */
export function loadRegistry(source: string | Registry | undefined): Registry {
  if (source === undefined) return {};
  let raw: unknown = source;
  if (typeof source === 'string') {
    try {
      raw = JSON.parse(readFileSync(source, 'utf8'));
    } catch (err) {
      throw new Error(`EGRUL registry ${source}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return checked(registrySchema, raw);
}

/** Checks a run-time change of the register (`POST /admin/registry`) the same way. */
export function loadRegistryPatch(raw: unknown): RegistryPatch {
  return checked(patchSchema, raw);
}

function checked<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  if (raw && typeof raw === 'object') {
    for (const key of Object.keys(raw))
      if (!/^\d{10}(\d{2})?$/.test(key)) issues.push(`${key}: keys must be 10- or 12-digit INNs`);
  }
  if (!parsed.success || issues.length) throw new Error(`EGRUL registry is invalid:\n  - ${issues.join('\n  - ')}`);
  return parsed.data;
}
