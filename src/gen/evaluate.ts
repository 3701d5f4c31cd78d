import { goldenCompanies, goldenContacts } from '../state/helpers.js';
import type { StateStore } from '../state/store.js';
import type { Truth } from './dataset.js';
import { sourceKey } from './stores.js';

export interface DedupScore {
  companies: { expected: number; golden: number; missing: number; extra: number };
  contacts: { expected: number; golden: number; precision: number; recall: number };
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/**
 * Scores the state's golden records against the ground truth. Companies: set comparison by INN.
 * Contacts: pairwise precision and recall over the source contact records that reached a golden
 * contact — a pair is predicted when both records sit in one golden contact, true when both are
 * the same real person (the usual measure for entity resolution).
 */
export async function evaluateDedup(store: StateStore, truth: Truth): Promise<DedupScore> {
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

  let predicted = 0;
  let truePositive = 0;
  let goldenContactsCount = 0;
  const perPerson = new Map<number, number>();
  for await (const c of goldenContacts(store)) {
    if (c.status !== 'active') continue;
    goldenContactsCount++;
    const persons = new Map<number, number>();
    let n = 0;
    for (const key of Object.keys(c.contributions)) {
      const [source, ...rest] = key.split('|');
      const person = truth.contactOwners[sourceKey(source!, rest.join('|'))];
      if (person === undefined) continue;
      n++;
      persons.set(person, (persons.get(person) ?? 0) + 1);
      perPerson.set(person, (perPerson.get(person) ?? 0) + 1);
    }
    predicted += pairs(n);
    for (const k of persons.values()) truePositive += pairs(k);
  }
  let actual = 0;
  for (const k of perPerson.values()) actual += pairs(k);
  return {
    companies: { expected: expected.size, golden, missing, extra },
    contacts: {
      expected: truth.contacts.length,
      golden: goldenContactsCount,
      precision: predicted === 0 ? 1 : truePositive / predicted,
      recall: actual === 0 ? 1 : truePositive / actual,
    },
  };
}
