import type { Kafka } from 'kafkajs';
import { haBrokers, type AppConfig } from '../../config/schema.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { ConfigError, CrmUnifyError } from '../../core/errors.js';
import { haNames } from '../../ha/config.js';
import type { RestoreResult } from '../../ha/changelog-restore.js';
import type { VerifyResult } from '../../ha/changelog-verify.js';
import { openLevelStore } from '../../state/level-store.js';
import { companyProvenance } from '../../resolve/provenance.js';
import type { CrmLedgerEntry, GoldenCompanyState, GoldenContactState, ProvenanceEntry } from '../../state/records.js';
import type { StateStats, StateStore } from '../../state/store.js';

/**
 * `crm-unify state stats [--json]`, `crm-unify state get company <inn> [--json]`, and the text of
 * `state restore` and `state verify`: functions that return data and text; the CLI wires them
 * to commander and prints.
 */

/** Opens the LevelDB store at `dir`, runs `fn`, always closes (a running pipeline holds the lock: STATE_STORE_LOCKED). */
export async function withStateStore<T>(dir: string, fn: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await openLevelStore(dir);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function stateStats(store: StateStore): Promise<StateStats> {
  return store.stats();
}

export function formatStats(s: StateStats): string {
  const reasons = Object.entries(s.rejects.byReason).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    `companies  ${s.companies.total} (active ${s.companies.active}, deleted ${s.companies.deleted}; ` +
      `pending ${s.companies.pending}, synced ${s.companies.synced})`,
    `contacts   ${s.contacts.total} (active ${s.contacts.active}, deleted ${s.contacts.deleted}, merged ${s.contacts.merged}; ` +
      `pending ${s.contacts.pending}, synced ${s.contacts.synced})`,
    `links      ${s.links.companies} company records, ${s.links.contacts} contact records (${s.links.parkedContacts} parked)`,
    `rejects    ${s.rejects.total}${reasons.length ? ` (${reasons.map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
    `pending    ${s.pending} golden records waiting for the CRM`,
    `other      ${s.positions} positions, ${s.registry} register entries, ${s.crmIds} CRM id maps`,
    // Only a state an older release wrote has them: say what to do rather than show a count.
    ...(s.matchKeys
      ? [`format 1   ${s.matchKeys} match-key index entries nothing reads: crm-unify state migrate drops them`]
      : []),
  ].join('\n');
}

export async function statsCommand(store: StateStore, opts: { json?: boolean } = {}): Promise<string> {
  const s = await stateStats(store);
  return opts.json ? JSON.stringify(s) : formatStats(s);
}

export interface CompanyView {
  company: GoldenCompanyState;
  /** Rebuilt from the contributions (not stored). */
  provenance: ProvenanceEntry[];
  contacts: GoldenContactState[];
  crmIds: CrmLedgerEntry | null;
}

/** A golden company with its golden contacts and CRM ids, or null when the INN is unknown. */
export async function getCompany(store: StateStore, inn: string): Promise<CompanyView | null> {
  if (!/^\d{10}(\d{2})?$/.test(inn)) throw new CrmUnifyError('USAGE', `not an INN: ${inn} (10 or 12 digits)`);
  const company = await store.get('companies', inn);
  if (!company) return null;
  const contacts = (await store.getMany('contacts', company.contactIds)).filter((c): c is GoldenContactState => !!c);
  return {
    company,
    provenance: companyProvenance(company),
    contacts,
    crmIds: (await store.get('crmIds', inn)) ?? null,
  };
}

export function formatCompany(v: CompanyView): string {
  const c = v.company;
  const r = c.record;
  const lines = [
    `company ${c.inn}  ${c.status}, ${c.delivery}${c.synced ? ` (CRM id ${c.synced.crmId ?? '?'})` : ''}  hash ${c.hash.slice(0, 12)}`,
  ];
  if (r) {
    lines.push(`  name       ${r.name}${r.fullName ? ` / ${r.fullName}` : ''}`);
    if (r.address) lines.push(`  address    ${r.address}`);
    lines.push(`  requisites ${r.requisites.map((q) => q.kpp || '(no KPP)').join(', ')}`);
    if (r.bankAccounts.length)
      lines.push(`  accounts   ${r.bankAccounts.map((b) => `${b.bik}/${b.account}`).join(', ')}`);
    if (r.phones.length)
      lines.push(`  phones     ${r.phones.map((p) => (p.ext ? `${p.e164} ext ${p.ext}` : p.e164)).join(', ')}`);
    if (r.emails.length) lines.push(`  e-mails    ${r.emails.join(', ')}`);
  }
  lines.push('  sources:');
  for (const p of v.provenance)
    lines.push(`    ${p.source}/${p.sourceId} @ ${p.changedAt} (${p.position}): ${p.fields.join(', ')}`);
  lines.push(`  contacts (${v.contacts.length}):`);
  for (const ct of v.contacts) {
    const n = ct.record;
    const name = n ? [n.lastName, n.firstName, n.middleName].filter(Boolean).join(' ') || '(no name)' : '(none)';
    lines.push(
      `    ${ct.id}  ${ct.status}, ${ct.delivery}  ${name}  ` +
        `[${Object.keys(ct.contributions).join(', ')}]${ct.mergedFrom.length ? `  merges ${ct.mergedFrom.map((m) => m.goldenId).join(', ')}` : ''}`,
    );
  }
  return lines.join('\n');
}

/** Output for `state get company <inn>`; `found: false` lets the CLI exit non-zero. */
export async function getCompanyCommand(
  store: StateStore,
  inn: string,
  opts: { json?: boolean } = {},
): Promise<{ found: boolean; output: string }> {
  const v = await getCompany(store, inn);
  if (!v) return { found: false, output: opts.json ? 'null' : `no golden company with INN ${inn}` };
  return { found: true, output: opts.json ? JSON.stringify(v) : formatCompany(v) };
}

/** The changelog of the configured deployment: its topic and a Kafka client for ha's brokers. */
export function changelogOf(config: Pick<AppConfig, 'ha' | 'sources'>, what: string): { kafka: Kafka; topic: string } {
  if (!config.ha.enabled) {
    throw new ConfigError([`${what} reads the state changelog: set ha.enabled: true (and ha.brokers)`]);
  }
  const brokers = haBrokers(config);
  if (brokers.length === 0) throw new ConfigError([`${what}: ha.brokers is empty`]);
  return { kafka: createKafkaClient(brokers, 'crm-unify-state'), topic: haNames(config.ha.app).changelogTopic };
}

const rate = (x: number) => (x >= 100 ? Math.round(x).toString() : x.toFixed(1));

export function formatRestore(r: RestoreResult): string {
  return (
    `restored ${r.dir} from ${r.topic} (up to offset ${r.offset ?? '-'}): ${r.messages} messages, ${r.keys} keys, ` +
    `${r.companies} companies in ${r.seconds.toFixed(1)} s ` +
    `(${rate(r.companiesPerSec)} companies/s, ${rate(r.messagesPerSec)} messages/s, ${rate(r.megabytesPerSec)} MB/s)`
  );
}

/** Identical or not, with counts and a few keys of each kind (keys only: values hold personal data). */
export function formatVerify(r: VerifyResult, dir: string): string {
  const same = r.missing + r.extra + r.different === 0;
  const lines = [
    same
      ? `${dir} matches the changelog up to offset ${r.offset}: ${r.keys} keys`
      : `${dir} differs from the changelog up to offset ${r.offset} (${r.keys} keys): ` +
        `${r.missing} missing, ${r.extra} extra, ${r.different} different`,
  ];
  for (const kind of ['missing', 'extra', 'different'] as const)
    for (const key of r.examples[kind]) lines.push(`  ${kind.padEnd(9)} ${key}`);
  return lines.join('\n');
}
