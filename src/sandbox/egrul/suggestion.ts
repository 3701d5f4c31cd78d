/**
 * DaData's findById/party answer built from a registry entry: `{suggestions: [{value,
 * unrestricted_value, data}]}`, the MAIN organisation first and then its branches, with the
 * fields the notes list (inn, kpp, ogrn, type, branch_type, state, name, opf, fio for an IP).
 */
import type { Registry, RegistryEntry } from './registry.js';

const opfs: Array<{ short: string; full: string; code: string }> = [
  { short: 'ООО', full: 'Общество с ограниченной ответственностью', code: '12300' },
  { short: 'ПАО', full: 'Публичное акционерное общество', code: '12247' },
  { short: 'НАО', full: 'Непубличное акционерное общество', code: '12267' },
  { short: 'АО', full: 'Акционерное общество', code: '12200' },
  { short: 'ЗАО', full: 'Закрытое акционерное общество', code: '12267' },
  { short: 'ОАО', full: 'Открытое акционерное общество', code: '12247' },
  { short: 'ИП', full: 'Индивидуальный предприниматель', code: '50102' },
];

function splitOpf(name: string): { opf?: (typeof opfs)[number]; bare: string } {
  const opf = opfs.find((o) => name.toUpperCase().startsWith(`${o.short} `));
  const bare = (opf ? name.slice(opf.short.length) : name).trim().replace(/^["«]|["»]$/g, '');
  return { opf, bare };
}

export interface FindQuery {
  query: string;
  branch_type?: 'MAIN' | 'BRANCH';
  type?: 'LEGAL' | 'INDIVIDUAL';
  kpp?: string;
  count?: number;
  status?: string[];
}

function party(
  inn: string,
  e: RegistryEntry,
  branch?: { kpp: string; name?: string; status?: string },
): Record<string, unknown> {
  const individual = inn.length === 12;
  const { opf, bare } = splitOpf(branch?.name ?? e.name);
  const shortWithOpf = branch?.name ?? e.name;
  const fullWithOpf = e.fullName ?? (opf ? `${opf.full} ${bare}` : e.name);
  const fio = individual ? bare.split(/\s+/) : [];
  const data: Record<string, unknown> = {
    kpp: individual ? null : (branch?.kpp ?? e.kpp ?? null),
    // DaData leaves branch_type null for an individual entrepreneur, who has no branches
    branch_type: individual ? null : branch ? 'BRANCH' : 'MAIN',
    branch_count: individual || branch ? null : (e.branches?.length ?? 0),
    type: individual ? 'INDIVIDUAL' : 'LEGAL',
    state: {
      status: branch?.status ?? e.status,
      code: null,
      actuality_date: Date.UTC(2024, 0, 1),
      registration_date: null,
      liquidation_date: (branch?.status ?? e.status) === 'LIQUIDATED' ? Date.UTC(2023, 0, 1) : null,
    },
    opf: opf ? { type: '2014', code: opf.code, full: opf.full, short: opf.short } : null,
    name: {
      full_with_opf: fullWithOpf.toUpperCase(),
      short_with_opf: shortWithOpf.toUpperCase(),
      latin: null,
      full: bare.toUpperCase(),
      short: individual ? null : bare.toUpperCase(),
    },
    inn,
    ogrn: e.ogrn ?? null,
    okpo: null,
    okved: null,
    address: e.address ? { value: e.address, unrestricted_value: e.address, data: { source: e.address } } : null,
    invalid: null,
  };
  if (individual)
    data.fio = { surname: fio[0] ?? null, name: fio[1] ?? null, patronymic: fio.slice(2).join(' ') || null };
  const value = shortWithOpf.toUpperCase();
  return { value, unrestricted_value: value, data };
}

/** All parties for a query, filtered the way DaData filters (kpp, branch_type, type, status, count). */
/** OGRN → INN per registry, built once: a scan per look-up made the emulator the bench's hot spot. */
const byOgrn = new WeakMap<Registry, Map<string, string>>();

function lookup(registry: Registry, query: string): [string, Registry[string]] | undefined {
  const direct = Object.hasOwn(registry, query) ? registry[query] : undefined;
  if (direct) return [query, direct];
  let index = byOgrn.get(registry);
  if (!index)
    byOgrn.set(
      registry,
      (index = new Map(Object.entries(registry).flatMap(([inn, e]) => (e.ogrn ? [[e.ogrn, inn] as const] : [])))),
    );
  const inn = index.get(query);
  return inn === undefined ? undefined : [inn, registry[inn]!];
}

export function findParty(registry: Registry, q: FindQuery): Array<Record<string, unknown>> {
  const hit = lookup(registry, q.query.trim());
  if (!hit) return [];
  const [inn, e] = hit;
  let list = [party(inn, e), ...(e.branches ?? []).map((b) => party(inn, e, b))];
  const data = (s: Record<string, unknown>) => s.data as Record<string, unknown>;
  if (q.kpp) list = list.filter((s) => data(s).kpp === q.kpp);
  // an IP has no branch type; filtering by MAIN still finds it rather than hiding every IP
  if (q.branch_type) list = list.filter((s) => data(s).branch_type === q.branch_type || data(s).branch_type === null);
  if (q.type) list = list.filter((s) => data(s).type === q.type);
  if (q.status?.length) list = list.filter((s) => q.status?.includes((data(s).state as { status: string }).status));
  return list.slice(0, Math.max(1, Math.min(q.count ?? 10, 300)));
}
