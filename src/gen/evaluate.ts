import { goldenCompanies, goldenContacts } from '../state/helpers.js';
import type { StateStore } from '../state/store.js';
import { nameKey } from '../resolve/match-keys.js';
import type { Contact } from '../model/canonical.js';
import type { Truth } from './dataset.js';

export interface DedupScore {
  companies: { expected: number; golden: number; missing: number; extra: number };
  contacts: {
    /** Real people the truth expects in the CRM. */
    expected: number;
    golden: number;
    /** Pairwise precision and recall (the same figures as `pairwise`). */
    precision: number;
    recall: number;
    pairwise: { precision: number; recall: number; truePairs: number; predictedPairs: number; actualPairs: number };
    /** A golden contact counts when its records are exactly one person's records, all of them. */
    cluster: { precision: number; recall: number; exact: number; golden: number; persons: number };
    /** Source contact records that must reach a golden contact; those that reached none. */
    records: number;
    missedRecords: number;
    /** Golden contacts holding records of more than one person; people spread over more than one. */
    overMerged: number;
    split: number;
    /** A few golden contacts of each kind of error, as record keys grouped by person, to read. */
    examples: { overMerged: string[][][]; split: string[][][] };
    /**
     * Why people were split: each golden contact of a person beyond their largest one, by what its
     * records hold (see `splitCause`); and over-merged golden contacts by whether one full name
     * joined them (namesakes with nothing to tell them apart) or something else did.
     */
    causes: { split: Record<SplitCause, number>; overMerged: { sameFullName: number; other: number } };
  };
}

export interface EvaluateOptions {
  /**
   * Whether the run checked companies against the register: then only records of companies the
   * truth expects must reach a golden contact. Without (the core bench), every live record must.
   */
  register?: boolean;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

export type SplitCause = 'initialsOrNoSurname' | 'noPatronymic' | 'nameAmbiguous' | 'noCommonKey' | 'noGoldenContact';

/**
 * Why a fragment of a person (a golden contact holding some of their records, not the largest)
 * stayed apart: its records hold no name key (initials, first name only) and the partial-name
 * join (src/resolve/partial-names.ts) found no single full name for them (two fit, numbers or an
 * e-mail's surname told them apart, or the person's full name is in another fragment that is
 * itself ambiguous), only names without patronymic, a full name that the person's other records
 * share but that was no key (a namesake or a father and son in the company made it ambiguous),
 * or nothing in common with the rest.
 */
function splitCause(fragment: ReadonlyArray<Contact | undefined>, others: ReadonlySet<string>): SplitCause {
  if (fragment.some((c) => c === undefined)) return 'noGoldenContact';
  const keys = fragment.map((c) => nameKey(c!));
  if (keys.every((k) => k === undefined)) return 'initialsOrNoSurname';
  if (keys.some((k) => k !== undefined && others.has(k))) return 'nameAmbiguous';
  if (keys.every((k) => k === undefined || k.endsWith('|'))) return 'noPatronymic';
  return 'noCommonKey';
}

/**
 * Scores the state's golden records against the ground truth (the generator's person ids).
 * Companies: set comparison by INN. Contacts, over *every* source contact record that must reach
 * a golden contact (a record that reached none counts as missed, in no predicted pair):
 * - pairwise: a pair of records is predicted when both sit in one golden contact, true when both
 *   are the same person; precision = true predicted / predicted, recall = true predicted / true;
 * - cluster: a golden contact is exact when its records are exactly one person's records;
 *   precision = exact / golden contacts, recall = exact / people.
 */
export async function evaluateDedup(store: StateStore, truth: Truth, opts: EvaluateOptions = {}): Promise<DedupScore> {
  const expected = new Set(truth.companies);
  let golden = 0;
  let extra = 0;
  const seen = new Set<string>();
  for await (const c of goldenCompanies(store)) {
    if (c.status !== 'active') continue;
    golden++;
    seen.add(c.inn);
    if (!expected.has(c.inn)) extra++;
  }
  const missing = [...expected].filter((inn) => !seen.has(inn)).length;

  // The records that must reach a golden contact, by person.
  const register = opts.register ?? true;
  const mustReach = new Map<string, number>();
  const recordsOf = new Map<number, number>();
  for (const [key, r] of Object.entries(truth.contactRecords)) {
    if (!r.live || (register && !expected.has(r.inn))) continue;
    mustReach.set(key, r.person);
    recordsOf.set(r.person, (recordsOf.get(r.person) ?? 0) + 1);
  }

  let predicted = 0;
  let truePositive = 0;
  let goldenCount = 0;
  let exact = 0;
  let overMerged = 0;
  const reached = new Set<string>();
  const clustersOf = new Map<number, number>();
  const examples: DedupScore['contacts']['examples'] = { overMerged: [], split: [] };
  const splitSeen = new Map<number, string[][]>();
  const fragments = new Map<number, Array<Array<Contact | undefined>>>();
  const causes: DedupScore['contacts']['causes'] = {
    split: { initialsOrNoSurname: 0, noPatronymic: 0, nameAmbiguous: 0, noCommonKey: 0, noGoldenContact: 0 },
    overMerged: { sameFullName: 0, other: 0 },
  };
  for await (const c of goldenContacts(store)) {
    if (c.status !== 'active') continue;
    const byPerson = new Map<number, string[]>();
    for (const key of Object.keys(c.contributions)) {
      const person = mustReach.get(key);
      if (person === undefined) continue;
      reached.add(key);
      const list = byPerson.get(person) ?? [];
      list.push(key);
      byPerson.set(person, list);
    }
    if (byPerson.size === 0) continue;
    goldenCount++;
    let n = 0;
    for (const [person, keys] of byPerson) {
      const fr = fragments.get(person) ?? [];
      fr.push(keys.map((k) => c.contributions[k]?.contact));
      fragments.set(person, fr);
      n += keys.length;
      truePositive += pairs(keys.length);
      clustersOf.set(person, (clustersOf.get(person) ?? 0) + 1);
      const parts = splitSeen.get(person) ?? [];
      parts.push(keys);
      splitSeen.set(person, parts);
    }
    predicted += pairs(n);
    const [only] = byPerson;
    if (byPerson.size === 1 && only![1].length === recordsOf.get(only![0])) exact++;
    if (byPerson.size > 1) {
      overMerged++;
      // One full name on every person's records here: namesakes nothing told apart.
      const names = [...byPerson.values()].map(
        (keys) =>
          new Set(
            keys.map((k) => {
              const ct = c.contributions[k]?.contact;
              return ct ? nameKey(ct) : undefined;
            }),
          ),
      );
      const common = [...names[0]!].filter((k) => k !== undefined && names.every((set) => set.has(k)));
      if (common.length > 0) causes.overMerged.sameFullName++;
      else causes.overMerged.other++;
      if (examples.overMerged.length < 5) examples.overMerged.push([...byPerson.values()]);
    }
  }
  let actual = 0;
  for (const k of recordsOf.values()) actual += pairs(k);
  let split = 0;
  for (const [key, person] of mustReach) {
    if (reached.has(key)) continue;
    clustersOf.set(person, (clustersOf.get(person) ?? 0) + 1);
    const parts = splitSeen.get(person) ?? [];
    parts.push([`${key} (no golden contact)`]);
    splitSeen.set(person, parts);
    const fr = fragments.get(person) ?? [];
    fr.push([undefined]);
    fragments.set(person, fr);
  }
  for (const fr of fragments.values()) {
    if (fr.length < 2) continue;
    const sorted = [...fr].sort((a, b) => b.length - a.length);
    sorted.slice(1).forEach((f) => {
      const others = new Set<string>();
      for (const o of sorted)
        if (o !== f)
          for (const ct of o) {
            const k = ct ? nameKey(ct) : undefined;
            if (k) others.add(k);
          }
      causes.split[splitCause(f, others)]++;
    });
  }
  for (const [person, n] of clustersOf) {
    if (n < 2) continue;
    split++;
    if (examples.split.length < 5) examples.split.push(splitSeen.get(person)!);
  }
  const pairwise = {
    precision: predicted === 0 ? 1 : truePositive / predicted,
    recall: actual === 0 ? 1 : truePositive / actual,
    truePairs: truePositive,
    predictedPairs: predicted,
    actualPairs: actual,
  };
  return {
    companies: { expected: expected.size, golden, missing, extra },
    contacts: {
      expected: truth.contacts.length,
      golden: goldenCount,
      precision: pairwise.precision,
      recall: pairwise.recall,
      pairwise,
      cluster: {
        precision: goldenCount === 0 ? 1 : exact / goldenCount,
        recall: recordsOf.size === 0 ? 1 : exact / recordsOf.size,
        exact,
        golden: goldenCount,
        persons: recordsOf.size,
      },
      records: mustReach.size,
      missedRecords: mustReach.size - reached.size,
      overMerged,
      split,
      examples,
      causes,
    },
  };
}
