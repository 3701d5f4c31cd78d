import { accept, reject, type Outcome } from '../../model/index.js';

/** `data.state.status` values DaData documents (hflabs/dadata-csharp `PartyStatus`). */
export const partyStatuses = ['ACTIVE', 'REORGANIZING', 'LIQUIDATING', 'LIQUIDATED', 'BANKRUPT'] as const;
export type PartyStatus = (typeof partyStatuses)[number];

/** The part of a `findById/party` suggestion we read. */
export interface PartySuggestion {
  value?: string;
  data?: {
    inn?: string | null;
    kpp?: string | null;
    ogrn?: string | null;
    type?: string | null;
    branch_type?: string | null;
    invalid?: boolean | null;
    state?: { status?: string | null } | null;
  } | null;
}

/** What the register says about one INN: what the cache keeps and the verdict is made from. */
export interface RegistryStatus {
  inn: string;
  /** A DaData status, or NOT_FOUND when the register has no such INN. */
  status: PartyStatus | 'NOT_FOUND' | 'UNKNOWN';
  /** The raw status string when DaData sent one we do not know. */
  raw?: string;
  name?: string;
  ogrn?: string;
  kpp?: string;
  /** ЕГРЮЛ marks some data unreliable (недостоверность); carried for the operator, not a reject. */
  invalid?: boolean;
}

const preference: Record<string, number> = { ACTIVE: 0, REORGANIZING: 1 };

/**
 * The suggestion that decides: the head organisation (branch_type MAIN) — branches share the INN
 * but not the status that matters. An individual entrepreneur has no branches and may have had
 * several OGRNIPs over time, so among equals the ACTIVE one wins.
 */
export function pickMain(inn: string, suggestions: readonly PartySuggestion[]): PartySuggestion | undefined {
  const same = suggestions.filter((s) => !s.data?.inn || s.data.inn === inn);
  const main = same.filter((s) => s.data?.branch_type === 'MAIN');
  const heads = main.length > 0 ? main : same.filter((s) => s.data?.branch_type !== 'BRANCH');
  const pool = heads.length > 0 ? heads : same;
  const rank = (s: PartySuggestion): number => preference[s.data?.state?.status ?? ''] ?? 2;
  return [...pool].sort((a, b) => rank(a) - rank(b))[0];
}

export function toRegistryStatus(inn: string, suggestions: readonly PartySuggestion[]): RegistryStatus {
  const main = pickMain(inn, suggestions);
  if (!main) return { inn, status: 'NOT_FOUND' };
  const raw = main.data?.state?.status ?? '';
  const known = (partyStatuses as readonly string[]).includes(raw);
  const out: RegistryStatus = { inn, status: known ? (raw as PartyStatus) : 'UNKNOWN' };
  if (!known) out.raw = raw;
  if (main.value) out.name = main.value;
  if (main.data?.ogrn) out.ogrn = main.data.ogrn;
  if (main.data?.kpp) out.kpp = main.data.kpp;
  if (main.data?.invalid) out.invalid = true;
  return out;
}

/**
 * DESIGN §4: only ACTIVE companies are loaded; REORGANIZING passes with a warning (it ceases once
 * the merger completes); LIQUIDATING, LIQUIDATED, BANKRUPT and not-found are rejected. A status we
 * do not know is rejected as not active, with the raw value in the detail, rather than loaded blind.
 */
export function verdict(s: RegistryStatus): Outcome<RegistryStatus> {
  switch (s.status) {
    case 'ACTIVE':
      return accept(s);
    case 'REORGANIZING':
      return accept(s, ['EGRUL_REORGANIZING']);
    case 'NOT_FOUND':
      return reject('EGRUL_NOT_FOUND', `INN ${s.inn}${NOT_FOUND}`);
    case 'UNKNOWN':
      return reject('EGRUL_NOT_ACTIVE', `INN ${s.inn}: unknown register status "${s.raw ?? ''}"`);
    default:
      return reject('EGRUL_NOT_ACTIVE', `INN ${s.inn} is ${s.status} in the register`);
  }
}

const NOT_FOUND = ' is not in the register';

/**
 * The INN of an EGRUL_NOT_FOUND reject, read back from its detail (a reject keeps no INN field of
 * its own): what the register sweep checks again. The detail is made by `verdict` above.
 */
export function innOfNotFound(detail: string): string | undefined {
  const m = /^INN (\d{12}|\d{10})(.*)$/.exec(detail);
  return m?.[2]?.startsWith(NOT_FOUND) ? m[1] : undefined;
}
