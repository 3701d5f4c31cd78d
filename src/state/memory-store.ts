import { CrmUnifyError } from '../core/errors.js';
import { computeStats } from './stats.js';
import {
  namespaces,
  rangeBounds,
  type KeyRange,
  type Namespace,
  type NamespaceValues,
  type StateOp,
  type StateStats,
  type StateStore,
} from './store.js';

/**
 * The in-memory StateStore, for tests and `demo`. Values are kept as JSON text so a reader gets
 * a copy with the same shape LevelDB's `json` encoding gives back; keys sort bytewise (UTF-8)
 * like LevelDB, not by UTF-16 code units.
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  private readonly data = new Map<Namespace, Map<string, string>>(namespaces.map((ns) => [ns, new Map()]));
  private closed = false;

  async get<N extends Namespace>(ns: N, key: string): Promise<NamespaceValues[N] | undefined> {
    const raw = this.table(ns).get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as NamespaceValues[N]);
  }

  async getMany<N extends Namespace>(ns: N, keys: readonly string[]): Promise<Array<NamespaceValues[N] | undefined>> {
    const table = this.table(ns);
    return keys.map((k) => {
      const raw = table.get(k);
      return raw === undefined ? undefined : (JSON.parse(raw) as NamespaceValues[N]);
    });
  }

  async batch(ops: readonly StateOp[]): Promise<void> {
    this.assertOpen();
    // Encode everything first: a value that cannot be encoded must leave the store untouched.
    const encoded = ops.map((op) => {
      if (op.type === 'put') {
        if (op.value === undefined) throw new TypeError(`put ${op.ns}/${op.key}: value is undefined`);
        return { op, raw: JSON.stringify(op.value) };
      }
      return { op, raw: undefined };
    });
    for (const { op, raw } of encoded) {
      const table = this.table(op.ns);
      if (raw === undefined) table.delete(op.key);
      else table.set(op.key, raw);
    }
  }

  async *iterate<N extends Namespace>(ns: N, range?: KeyRange): AsyncIterable<[string, NamespaceValues[N]]> {
    // A snapshot of the matching entries, as a LevelDB iterator would read.
    for (const [k, raw] of this.select(ns, range)) yield [k, JSON.parse(raw) as NamespaceValues[N]];
  }

  async count(ns: Namespace, range?: KeyRange): Promise<number> {
    return this.select(ns, range).length;
  }

  stats(): Promise<StateStats> {
    return computeStats(this);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new CrmUnifyError('STATE_STORE_FAILED', 'state store is closed');
  }

  private table(ns: Namespace): Map<string, string> {
    this.assertOpen();
    const t = this.data.get(ns);
    if (!t) throw new TypeError(`unknown namespace ${String(ns)}`);
    return t;
  }

  private select(ns: Namespace, range?: KeyRange): Array<[string, string]> {
    const { gte, gt, lte, lt, reverse, limit } = rangeBounds(range);
    const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const rows = [...this.table(ns)].filter(
      ([k]) =>
        (gte === undefined || cmp(k, gte) >= 0) &&
        (gt === undefined || cmp(k, gt) > 0) &&
        (lte === undefined || cmp(k, lte) <= 0) &&
        (lt === undefined || cmp(k, lt) < 0),
    );
    rows.sort(([a], [b]) => cmp(a, b));
    if (reverse) rows.reverse();
    return limit !== undefined && limit >= 0 ? rows.slice(0, limit) : rows;
  }
}
