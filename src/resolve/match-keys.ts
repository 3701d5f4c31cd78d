import type { Contact, Phone } from '../model/index.js';
import { nameSkeleton } from '../normalize/match-key.js';
import { foldEmail, foldKey } from './fold.js';

/**
 * Contact match keys within one company. A key is personal: two contact records of a company
 * sharing one are the same person. Shared channels (switchboards, the company's own numbers
 * and mailboxes) are not keys, or every employee listing the main office line would merge.
 */

/** A phone's identity: the number plus its extension (a switchboard's extensions are distinct lines). */
export function phoneKey(p: Phone): string {
  return p.ext ? `${p.e164};ext=${p.ext}` : p.e164;
}

/** Number types that never identify a person (8-800 lines and the like). */
const nonPersonalTypes = new Set(['TOLL_FREE', 'SHARED_COST', 'PREMIUM_RATE', 'UAN', 'VOICEMAIL']);

export interface SharedChannels {
  /** Phone keys (e164[;ext=]) that belong to the company rather than a person. */
  phones: Set<string>;
  /** Folded e-mails that belong to the company (info@, sales@ as listed on the company record). */
  emails: Set<string>;
}

/**
 * Finds the shared channels of a company from everything it and its contacts list:
 * - a number seen with more than one extension value (none counts as a value) is a switchboard,
 *   so the bare number is shared; each `number;ext` stays a direct line;
 * - a number or e-mail the company record itself lists is the company's, not a person's;
 * - an e-mail or a number without extension listed by records of two different names (last and
 *   first name, compared as in `nameKey`) is shared by colleagues (`info@`, a switchboard the
 *   company record does not list), not a person's.
 */
export function sharedChannels(
  companyPhones: readonly Phone[],
  companyEmails: readonly string[],
  contacts: Iterable<Contact>,
): SharedChannels {
  const extsByNumber = new Map<string, Set<string>>();
  const note = (p: Phone) => {
    let s = extsByNumber.get(p.e164);
    if (!s) extsByNumber.set(p.e164, (s = new Set()));
    s.add(p.ext ?? '');
  };
  companyPhones.forEach(note);
  // Who lists each e-mail and bare number, by name (last|first): two names on one channel make it shared.
  const namesByChannel = new Map<string, Set<string>>();
  const noteName = (channel: string, name: string | undefined) => {
    if (name === undefined) return;
    let s = namesByChannel.get(channel);
    if (!s) namesByChannel.set(channel, (s = new Set()));
    s.add(name);
  };
  for (const c of contacts) {
    c.phones.forEach(note);
    const name = personName(c);
    for (const e of c.emails) noteName(`email:${foldEmail(e)}`, name);
    for (const p of c.phones) if (!p.ext) noteName(`phone:${p.e164}`, name);
  }
  const phones = new Set<string>(companyPhones.map(phoneKey));
  const emails = new Set(companyEmails.map(foldEmail));
  for (const [e164, exts] of extsByNumber) if (exts.size > 1) phones.add(e164);
  for (const [channel, names] of namesByChannel) {
    if (names.size < 2) continue;
    if (channel.startsWith('email:')) emails.add(channel.slice('email:'.length));
    else phones.add(channel.slice('phone:'.length));
  }
  return { phones, emails };
}

/** `last|first` of `nameKey` (the middle name cut off), from the record's memoized candidate keys (which hold its name key). */
function personName(c: Contact): string | undefined {
  for (const k of candidateKeys(c)) if (k.startsWith('name:')) return k.slice(0, k.lastIndexOf('|'));
  return undefined;
}

/** An initial ("И.", "И") is not a name: matching on it would merge Ivan and Igor. */
export function isInitial(s: string): boolean {
  return s.replace(/\./g, '').trim().length <= 1;
}

/** A name part as a key: each word's skeleton (ё/е, case, common transliterations folded). */
export function namePart(s: string | undefined): string {
  return foldKey(s ?? '')
    .replace(/\.$/, '')
    .split(/[\s-]+/u)
    .map(nameSkeleton)
    .filter(Boolean)
    .join(' ');
}

/**
 * The full-name key: last AND first name required, middle name included when present (so
 * "Иванов Иван Иванович" and "Иванов Иван Петрович" stay apart). Same surname or same first
 * name alone never yields a key. Parts are compared by skeleton, so "Фёдоров Пётр" and
 * "Fyodorov Petr" share a key.
 */
export function nameKey(c: Pick<Contact, 'lastName' | 'firstName' | 'middleName'>): string | undefined {
  if (isInitial(c.firstName ?? '')) return undefined;
  const last = namePart(c.lastName);
  const first = namePart(c.firstName);
  if (!last || !first) return undefined;
  return `name:${last}|${first}|${namePart(c.middleName)}`;
}

/**
 * The candidate keys of a contact record before shared channels are taken out, sorted and
 * unique; memoized per record object (records in the cache are shared and never mutated, and
 * every recompute of a company needs the keys of all its records again).
 */
const candidateMemo = new WeakMap<Contact, readonly string[]>();

export function candidateKeys(c: Contact): readonly string[] {
  let keys = candidateMemo.get(c);
  if (!keys) candidateMemo.set(c, (keys = contactMatchKeys(c, { phones: new Set(), emails: new Set() })));
  return keys;
}

/** Shared channels as the match keys they would make (`email:…`, `phone:…`). */
export function sharedKeySet(shared: SharedChannels): Set<string> {
  const out = new Set<string>();
  for (const e of shared.emails) out.add(`email:${e}`);
  for (const p of shared.phones) out.add(`phone:${p}`);
  return out;
}

/**
 * `contactMatchKeys(c, shared)` from the memoized candidates: the same sorted, unique list (a
 * candidate `email:`/`phone:` key is dropped exactly when its channel is shared). The result may
 * be the memoized array itself: never mutate it.
 */
export function personalKeys(c: Contact, sharedKeys: ReadonlySet<string>): readonly string[] {
  const all = candidateKeys(c);
  if (sharedKeys.size === 0) return all;
  let i = 0;
  while (i < all.length && !sharedKeys.has(all[i]!)) i++;
  if (i === all.length) return all;
  const out = all.slice(0, i);
  for (i++; i < all.length; i++) if (!sharedKeys.has(all[i]!)) out.push(all[i]!);
  return out;
}

/** The personal keys of one contact record: `email:…`, `phone:…`, `name:…`, sorted and unique. */
export function contactMatchKeys(c: Contact, shared: SharedChannels): string[] {
  const keys = new Set<string>();
  for (const e of c.emails) {
    const f = foldEmail(e);
    if (f && !shared.emails.has(f)) keys.add(`email:${f}`);
  }
  for (const p of c.phones) {
    if (p.type !== undefined && nonPersonalTypes.has(p.type)) continue;
    const k = phoneKey(p);
    if (!shared.phones.has(k)) keys.add(`phone:${k}`);
  }
  const n = nameKey(c);
  if (n) keys.add(n);
  return [...keys].sort();
}

/**
 * Name keys read against the whole company (records' other keys already without shared channels):
 * - a name without middle name ("Иванов Иван") takes the middle name of the company's records
 *   with that last and first name when they all agree on one; when they name two (a father and
 *   son), it is ambiguous and gives no key;
 * - a full name held by two people told apart by their own numbers (records that share no
 *   e-mail or phone, each with a mobile, or each with another extension of one switchboard:
 *   namesakes) is no key.
 * The result depends on the set of records only, not on their order. Arrays are new when changed.
 */
export function refineNameKeys<T extends { id: string; keys: readonly string[] }>(items: readonly T[]): T[] {
  const isName = (k: string) => k.startsWith('name:');
  // Fast path (most companies): no name without patronymic, no name on two records.
  const seen = new Set<string>();
  let work = false;
  for (const { keys } of items) {
    for (const k of keys) {
      if (!isName(k)) continue;
      if (k.endsWith('|') || seen.has(k)) work = true;
      seen.add(k);
    }
    if (work) break;
  }
  if (!work) return [...items];
  const middles = new Map<string, Set<string>>();
  for (const { keys } of items) {
    for (const k of keys) {
      if (!isName(k)) continue;
      const cut = k.lastIndexOf('|');
      if (cut === k.length - 1) continue;
      let s = middles.get(k.slice(0, cut + 1));
      if (!s) middles.set(k.slice(0, cut + 1), (s = new Set()));
      s.add(k);
    }
  }
  let changed = false;
  const completed = items.map((item) => {
    if (!item.keys.some((k) => isName(k) && k.endsWith('|'))) return item;
    const keys = item.keys.flatMap((k) => {
      if (!isName(k) || !k.endsWith('|')) return [k];
      const full = middles.get(k);
      if (!full) return [k];
      changed = true;
      return full.size === 1 ? [...full] : [];
    });
    return { ...item, keys };
  });
  // Namesakes: components over e-mails and phones only; a name seen in two components that each
  // hold a number without extension, or each a different extension of one switchboard, belongs
  // to two people (a person has one mobile and one direct line).
  const channelOnly = completed.map(({ id, keys }) => ({ id, keys: keys.filter((k) => !isName(k)) }));
  const component = new Map<string, number>();
  connectedComponentsIndex(channelOnly, component);
  const lines = new Map<number, Set<string>>(); // component → 'mobile' and the switchboards it has a line on
  for (const { id, keys } of channelOnly) {
    for (const k of keys) {
      if (!k.startsWith('phone:')) continue;
      const cut = k.indexOf(';ext=');
      const comp = component.get(id)!;
      let set = lines.get(comp);
      if (!set) lines.set(comp, (set = new Set()));
      set.add(cut < 0 ? 'mobile' : k.slice(0, cut));
    }
  }
  const componentsByName = new Map<string, Set<number>>();
  for (const { id, keys } of completed) {
    const comp = component.get(id)!;
    for (const line of lines.get(comp) ?? []) {
      for (const k of keys) {
        if (!isName(k)) continue;
        let set = componentsByName.get(`${k}\u0000${line}`);
        if (!set) componentsByName.set(`${k}\u0000${line}`, (set = new Set()));
        set.add(comp);
      }
    }
  }
  const ambiguous = new Set(
    [...componentsByName].filter(([, comps]) => comps.size > 1).map(([k]) => k.slice(0, k.indexOf('\u0000'))),
  );
  if (ambiguous.size === 0) return changed ? completed : [...items];
  return completed.map((item) =>
    item.keys.some((k) => ambiguous.has(k)) ? { ...item, keys: item.keys.filter((k) => !ambiguous.has(k)) } : item,
  );
}

/** Union-find over shared keys: fills `out` with a component number per id. */
function connectedComponentsIndex(
  items: ReadonlyArray<{ id: string; keys: readonly string[] }>,
  out: Map<string, number>,
): void {
  const parent = items.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  const owner = new Map<string, number>();
  items.forEach(({ keys }, i) => {
    for (const k of keys) {
      const o = owner.get(k);
      if (o === undefined) owner.set(k, i);
      else parent[find(i)] = find(o);
    }
  });
  items.forEach(({ id }, i) => out.set(id, find(i)));
}
