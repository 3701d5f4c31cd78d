import type { Contact } from '../model/index.js';
import { nameSkeleton } from '../normalize/match-key.js';
import { isKnownFirstName, looksLikeSurname } from '../normalize/person-name.js';
import { foldKey } from './fold.js';
import { isInitial, namePart } from './match-keys.js';

/**
 * Partial names joined to the one full name they fit (README, "Rules"). An initial is never a
 * first name *key* ("Лукина Л." makes no `name:` key, so it never equals a first name "Л."), but a
 * company's cluster of records that carry only a surname with initials ("Лукина Л. С.",
 * "Л.С. Лукина"), or only a first name ("Лидия"), is joined to the cluster that holds a full name
 * compatible with it — when exactly one cluster of the company does:
 *
 * - initials: same surname (by skeleton: ё/е, case, transliteration), same first initial (by
 *   letter), the patronymic (initial or spelled out) equal when both give one — a cluster's names
 *   without patronymic count only when none of its names gives one;
 * - a first name with no surname: same first name, patronymic as above; and no other cluster
 *   with that first name and a surname or, still unjoined, that first initial; and no e-mail of
 *   the cluster spelling another surname ("anna.sokolova@" is not Анна Лебедева);
 * - a cluster told apart by numbers (each side a number without extension, or each a line of one
 *   switchboard: a person has one of each, as `refineNameKeys` tells namesakes apart) is no
 *   candidate; partial clusters joining one full name must not be apart from each other either;
 * - two compatible clusters (namesakes, a father and son whose patronymic the record does not
 *   give): joined to none;
 * - initials that no full name of the company fits: clusters with one surname, first initial and
 *   patronymic initial are one person ("Лебедев О. И." twice), unless numbers tell two apart.
 *
 * Works on the company's components, so it depends on the set of records only, never on their
 * order. Match keys are not touched: the joined records have no name key of their own.
 */

/** One record's name, compared by skeleton; '' where the record gives nothing. */
interface NameShape {
  last: string;
  /** The spelled-out first name ('' for an initial or none). */
  first: string;
  firstInit: string;
  /** The spelled-out patronymic ('' for an initial or none). */
  middle: string;
  middleInit: string;
}

const CYRILLIC = /^[\u0400-\u04FF]/u;
const DIGRAPHS = ['zh', 'ch', 'sh', 'iu', 'ia'];

/**
 * The skeleton of a name's first letter: one Cyrillic letter, so "Юрий", "Yuriy" and "Ю." all
 * give 'iu' while "Иван" and "И." give 'i' (not the 'iu' prefix of "Юрий"'s skeleton).
 */
export function initialOf(word: string | undefined): string {
  const w = foldKey(word ?? '').replace(/^[^\p{L}]+/u, '');
  if (!w) return '';
  if (CYRILLIC.test(w)) return nameSkeleton(w.charAt(0));
  const s = nameSkeleton(w.split(/[\s.-]/u)[0]!);
  return DIGRAPHS.find((d) => s.startsWith(d)) ?? s.charAt(0);
}

const shapeMemo = new WeakMap<Pick<Contact, 'lastName' | 'firstName' | 'middleName'>, NameShape | null>();

/** A record's name shape, or null when it gives neither a surname nor a first name or initial. */
export function nameShape(c: Pick<Contact, 'lastName' | 'firstName' | 'middleName'>): NameShape | null {
  let s = shapeMemo.get(c);
  if (s === undefined) {
    // A first name alone in the last-name field (an export with the whole name in one field).
    const firstName = !c.firstName && c.lastName && isKnownFirstName(c.lastName.trim()) ? c.lastName : c.firstName;
    const lastName = firstName === c.firstName ? c.lastName : undefined;
    const firstInit = initialOf(firstName);
    const last = namePart(lastName);
    s =
      !firstInit && !last
        ? null
        : {
            last,
            first: firstInit && !isInitial(firstName!) ? namePart(firstName) : '',
            firstInit,
            middle: c.middleName && !isInitial(c.middleName) ? namePart(c.middleName) : '',
            middleInit: initialOf(c.middleName),
          };
    shapeMemo.set(c, s);
  }
  return s;
}

/** A full name: surname and a spelled-out first name (what makes a `name:` key). */
const isFull = (s: NameShape) => s.last !== '' && s.first !== '';

/** What a cluster of partial names says about its person; null when its records disagree. */
function profileOf(shapes: readonly NameShape[]): NameShape | null {
  const out: NameShape = { last: '', first: '', firstInit: '', middle: '', middleInit: '' };
  for (const s of shapes) {
    for (const f of ['last', 'first', 'firstInit', 'middle', 'middleInit'] as const) {
      if (!s[f]) continue;
      if (out[f] && out[f] !== s[f]) return null;
      out[f] = s[f];
    }
  }
  return out.firstInit ? out : null; // a surname alone: too little to go on
}

/**
 * Whether a cluster's full names can be the person a partial profile describes: surname and first
 * name (or initial) equal, and the patronymic when both give one. The cluster's names without
 * patronymic count only when none of its names with that surname and first name gives one
 * ("Попова Е. И." does not fit a cluster of "Попова Елена" and "Попова Елена Николаевна").
 */
function fits(p: NameShape, fulls: readonly NameShape[]): boolean {
  const named = fulls.filter(
    (f) => (!p.last || p.last === f.last) && (p.first ? p.first === f.first : p.firstInit === f.firstInit),
  );
  const withMiddle = named.filter((f) => f.middleInit);
  return (withMiddle.length ? withMiddle : named).some((f) => {
    if (p.middle && f.middle) return p.middle === f.middle;
    return !p.middleInit || !f.middleInit || p.middleInit === f.middleInit;
  });
}

/** The own lines of a cluster: 'mobile' for any number without extension, else the switchboard number. */
function linesOf(keys: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const k of keys) {
    if (!k.startsWith('phone:')) continue;
    const cut = k.indexOf(';ext=');
    out.add(cut < 0 ? 'mobile' : k.slice(0, cut));
  }
  return out;
}

const apart = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].some((l) => b.has(l));

/**
 * The surnames a cluster's e-mails spell ("anna.sokolova2084@" → 'sokolova', "petrov@" →
 * 'petrov'), as skeletons: the words of each local part with a surname ending, one set per e-mail.
 */
function emailSurnames(keys: Iterable<string>): string[][] {
  const out: string[][] = [];
  for (const k of keys) {
    if (!k.startsWith('email:')) continue;
    const local = k.slice('email:'.length, k.indexOf('@') < 0 ? undefined : k.indexOf('@'));
    const words = local
      .split(/[^a-z]+/u)
      .filter((w) => w.length > 3 && looksLikeSurname(w))
      .map(nameSkeleton);
    if (words.length) out.push(words);
  }
  return out;
}

/**
 * Joins clusters of partial names to the one cluster with a full name they fit (see above).
 * `components` as `connectedComponents` gives them (sorted members, sorted by first member);
 * `keysOf` gives a record's personal keys (shared channels already out); the result has the same
 * form. Returns `components` itself when nothing joins.
 */
export function joinPartialNames(
  components: readonly string[][],
  keysOf: (id: string) => readonly string[],
  contactOf: (id: string) => Pick<Contact, 'lastName' | 'firstName' | 'middleName'>,
): readonly string[][] {
  if (components.length < 2) return components;
  const info = components.map((members) => {
    const shapes: NameShape[] = [];
    for (const m of members) {
      const s = nameShape(contactOf(m));
      if (s) shapes.push(s);
    }
    const fulls = shapes.filter(isFull);
    return {
      members,
      fulls,
      partial: fulls.length === 0 && shapes.length > 0 ? profileOf(shapes) : null,
      lines: undefined as Set<string> | undefined,
    };
  });
  if (info.filter((c) => c.partial).length < (info.some((c) => c.fulls.length > 0) ? 1 : 2)) return components;
  const lines = (i: number) => (info[i]!.lines ??= linesOf(info[i]!.members.flatMap((m) => keysOf(m))));
  // Full names by first initial: the clusters a partial name may fit.
  const byInitial = new Map<string, number[]>();
  info.forEach((c, i) => {
    for (const init of new Set(c.fulls.map((f) => f.firstInit))) {
      const list = byInitial.get(init);
      if (list) list.push(i);
      else byInitial.set(init, [i]);
    }
  });
  // The clusters a partial cluster fits, less those its numbers tell apart from it.
  const candidates = (p: NameShape, i: number) =>
    (byInitial.get(p.firstInit) ?? []).filter((j) => fits(p, info[j]!.fulls) && !apart(lines(i), lines(j)));

  const target = new Map<number, number>(); // partial cluster → the full cluster it joins
  // 1. Surname with initials (or with a first name that some record of the cluster spells out).
  info.forEach((c, i) => {
    if (!c.partial?.last) return;
    const found = candidates(c.partial, i);
    if (found.length === 1) target.set(i, found[0]!);
  });
  // 2. A first name with no surname: only when nothing else in the company could be that person
  // (another cluster with that first name and a surname, or an unjoined one with that initial).
  info.forEach((c, i) => {
    const p = c.partial;
    if (!p || p.last || !p.first) return;
    const found = candidates(p, i);
    if (found.length !== 1) return;
    const to = found[0]!;
    const rival = info.some(
      ({ partial: o }, j) =>
        j !== i &&
        o !== null &&
        target.get(j) !== to &&
        (o.first ? o.first === p.first && o.last !== '' : o.firstInit === p.firstInit),
    );
    // An e-mail of the cluster spelling another surname ("anna.sokolova@" for a Лебедева Анна).
    const surnames = new Set(info[to]!.fulls.map((f) => f.last));
    const other = emailSurnames(c.members.flatMap((m) => keysOf(m))).some(
      (words) => !words.some((w) => surnames.has(w)),
    );
    if (!rival && !other) target.set(i, to);
  });
  // Numbers tell people apart (a person has one mobile and one line per switchboard): a partial
  // cluster apart from its full name, or from another partial cluster joining it, joins nothing.
  const byTarget = new Map<number, number[]>();
  for (const [i, to] of target) {
    const list = byTarget.get(to);
    if (list) list.push(i);
    else byTarget.set(to, [i]);
  }
  for (const [to, joining] of byTarget) {
    for (const i of joining) {
      if (apart(lines(i), lines(to)) || joining.some((j) => j !== i && apart(lines(i), lines(j)))) target.delete(i);
    }
  }
  // 3. Initials that no full name of the company fits: clusters with one surname, first initial
  // and patronymic initial are one person, unless numbers tell two of them apart.
  const alone = new Map<string, number[]>();
  info.forEach((c, i) => {
    const p = c.partial;
    if (!p?.last || !p.middleInit || target.has(i)) return;
    if ((byInitial.get(p.firstInit) ?? []).some((j) => fits(p, info[j]!.fulls))) return;
    const key = `${p.last}|${p.firstInit}|${p.middleInit}`;
    const list = alone.get(key);
    if (list) list.push(i);
    else alone.set(key, [i]);
  });
  for (const group of alone.values()) {
    if (group.length < 2) continue;
    const agree = (f: 'first' | 'middle') => new Set(group.map((i) => info[i]!.partial![f]).filter(Boolean)).size <= 1;
    if (!agree('first') || !agree('middle')) continue;
    if (group.some((i, n) => group.slice(n + 1).some((j) => apart(lines(i), lines(j))))) continue;
    for (const i of group.slice(1)) target.set(i, group[0]!);
  }
  if (target.size === 0) return components;
  const groups = new Map<number, string[]>();
  info.forEach((c, i) => {
    const root = target.get(i) ?? i;
    const g = groups.get(root);
    if (g) g.push(...c.members);
    else groups.set(root, [...c.members]);
  });
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
