/**
 * Clustering of a company's contact records: records sharing any match key are one person,
 * transitively (connected components), and each component is given a golden id that keeps
 * the identity of the golden contacts it grew from.
 */

// Helpers live at module level, not as closures in the hot functions: tsx (esbuild keepNames)
// wraps every named closure in a naming call each time it is created, 1 % of the core profile.

/** Union-find root of `x`, compressing the path. */
function find(parent: Map<string, string>, x: string): string {
  let root = x;
  while (parent.get(root) !== root) root = parent.get(root)!;
  while (parent.get(x) !== root) {
    const next = parent.get(x)!;
    parent.set(x, root);
    x = next;
  }
  return root;
}

/** Components of `items` linked by shared keys; members sorted, components sorted by first member. */
export function connectedComponents(items: ReadonlyArray<{ id: string; keys: readonly string[] }>): string[][] {
  const parent = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const { id } of items) parent.set(id, id);
  for (const { id, keys } of items) {
    for (const k of keys) {
      const other = owner.get(k);
      if (other === undefined) owner.set(k, id);
      else {
        const a = find(parent, id);
        const b = find(parent, other);
        if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
      }
    }
  }
  const groups = new Map<string, string[]>();
  for (const { id } of items) {
    const r = find(parent, id);
    const g = groups.get(r) ?? [];
    g.push(id);
    groups.set(r, g);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

export interface PreviousGolden {
  id: string;
  seq: number;
}

export interface AssignedComponent {
  members: string[];
  /** The golden id this component keeps, or null when it needs a new one. */
  id: string | null;
  /** Previous golden ids merged into this component's id (they become `merged_into` it). */
  absorbed: string[];
}

export interface Assignment {
  components: AssignedComponent[];
  /** Previous golden ids with no member left anywhere (withdrawn: become deleted). */
  emptied: string[];
}

/**
 * Maps components to golden ids. Deterministic rule: a component keeps the oldest (smallest
 * seq, then smallest id) previous golden id among its members not already kept by an older
 * component; a previous id not kept by any component is merged into the component that holds
 * most of its former members (ties: the earlier component), or emptied when none remains.
 * A component with no free previous id (a new person, or the smaller half of a split) gets null.
 */
function older(a: PreviousGolden, b: PreviousGolden): number {
  return a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function assignGoldenIds(
  components: readonly string[][],
  previous: ReadonlyMap<string, PreviousGolden>,
  allPrevious: readonly PreviousGolden[],
): Assignment {
  const candidates = components.map((members) => {
    const byId = new Map<string, PreviousGolden>();
    for (const m of members) {
      const p = previous.get(m);
      if (p) byId.set(p.id, p);
    }
    return [...byId.values()].sort(older);
  });
  const order = components
    .map((_, i) => i)
    .sort((a, b) => {
      const ca = candidates[a]![0];
      const cb = candidates[b]![0];
      if (ca && cb) return older(ca, cb) || a - b;
      return ca ? -1 : cb ? 1 : a - b;
    });
  const taken = new Set<string>();
  const out: AssignedComponent[] = components.map((members) => ({ members: [...members], id: null, absorbed: [] }));
  for (const i of order) {
    const free = candidates[i]!.find((c) => !taken.has(c.id));
    if (free) {
      taken.add(free.id);
      out[i]!.id = free.id;
    }
  }
  const emptied: string[] = [];
  for (const p of [...allPrevious].sort(older)) {
    if (taken.has(p.id)) continue;
    let best = -1;
    let bestCount = 0;
    for (const i of order) {
      const count = out[i]!.members.filter((m) => previous.get(m)?.id === p.id).length;
      if (count > bestCount) {
        best = i;
        bestCount = count;
      }
    }
    if (best < 0) emptied.push(p.id);
    else out[best]!.absorbed.push(p.id);
  }
  return { components: out, emptied };
}
