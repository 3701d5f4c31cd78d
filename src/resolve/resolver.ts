import { CrmUnifyError } from '../core/errors.js';
import type { CanonicalChange } from '../model/index.js';
import { crmIdsOp, positionOp } from '../state/helpers.js';
import { companyLinkKey, contactLinkKey, goldenEntity, pendingKey } from '../state/keys.js';
import type { CrmLedgerEntry, DeliveryStatus } from '../state/records.js';
import type { Namespace, StateOp, StateStore } from '../state/store.js';
import { applyChange, type ChangePosition, type ResolveResult } from './apply-change.js';
import { syncCompany, syncContact } from './delivery.js';
import { StateCache } from './state-cache.js';
import { NeedKeys, Tx } from './tx.js';

/** Namespaces resolution reads; everything else is only written. */
export const resolutionNamespaces: ReadonlySet<Namespace> = new Set<Namespace>(['companies', 'contacts', 'links']);

function syncedCompany(tx: Tx, inn: string, crmIds: CrmLedgerEntry, hash: string, at: string) {
  const before = tx.get('companies', inn);
  if (!before) return undefined;
  const after = syncCompany(before, crmIds, hash, at);
  tx.put('companies', inn, after);
  return [before, after] as const;
}

function syncedContact(tx: Tx, id: string, crmIds: CrmLedgerEntry, hash: string, at: string) {
  const before = tx.get('contacts', id);
  if (!before) return undefined;
  const after = syncContact(before, crmIds, hash, at);
  tx.put('contacts', id, after);
  return [before, after] as const;
}

/** Keys a change will need after its first reads (its golden company, its contacts' links). */
function prefetchHints(change: CanonicalChange): Array<[Namespace, string]> {
  switch (change.kind) {
    case 'company':
      return [
        ['companies', change.company.requisite.inn],
        ...change.contacts.map((c) => ['links', contactLinkKey(c.source, c.sourceId)] as [Namespace, string]),
      ];
    case 'contact':
      return change.contact.company
        ? [['links', companyLinkKey(change.contact.company.source, change.contact.company.sourceId)]]
        : [];
    default:
      return [];
  }
}

/** Enough rounds for link → company → contacts → new-id checks, with margin for evictions. */
const MAX_ROUNDS = 32;

export interface ResolverOptions {
  /**
   * Clean cache entries kept in memory (golden records and links). Default 20 000: over the seed data
   * 50 000 held about 250 MB more at the peak for the same throughput (BENCHMARKS §1).
   */
  cacheEntries?: number;
  /** A batch is written as soon as it holds this many ops. Default 20 000. */
  maxBatchOps?: number;
  /** Clock for reject and sync times. */
  now?: () => Date;
}

export interface MarkSyncedResult {
  goldenId: string;
  /** `synced` when the confirmed hash is still current; `pending` when the record changed since. */
  delivery: DeliveryStatus;
}

interface OpenBatch {
  epoch: number;
  /** Last op per key, by namespace: a hot company written by many changes of one batch is encoded once. */
  ops: Map<Namespace, Map<string, StateOp>>;
  /** Distinct keys in `ops`. */
  size: number;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
}

/**
 * The stateful resolver: one per process (the store's single writer). Each change is applied
 * synchronously over a write-through cache, so changes to one company are serialized by
 * construction (no change can observe another half-done, whatever the caller's concurrency),
 * while changes to different companies share group-committed batches: a change's state, and the
 * source position it came with, are written in the same atomic batch, and `resolve` resolves
 * once that batch is durable. One batch is in flight at a time, so positions advance in order.
 */
export class Resolver {
  private readonly cache: StateCache;
  private readonly maxBatchOps: number;
  private readonly now: () => Date;
  private open: OpenBatch = { epoch: 0, ops: new Map(), size: 0, waiters: [] };
  private writing: Promise<void> | null = null;
  private scheduled = false;
  private failure: unknown = null;

  constructor(
    private readonly store: StateStore,
    options: ResolverOptions = {},
  ) {
    this.cache = new StateCache(store, options.cacheEntries ?? 20_000, resolutionNamespaces);
    this.maxBatchOps = options.maxBatchOps ?? 20_000;
    this.now = options.now ?? (() => new Date());
  }

  /** Resolves one change; settles when its state (and position, if given) is durably written. */
  async resolve(change: CanonicalChange, position: ChangePosition): Promise<ResolveResult> {
    return this.run((tx, now) => {
      const result = applyChange(tx, change, position, now);
      if (position.commit)
        tx.apply(positionOp(position.commit.source, position.commit.partition, position.commit.resume));
      return result;
    }, prefetchHints(change));
  }

  /**
   * Called by the loader after the CRM confirmed a golden record at `hash` (never before).
   * `crmIds` is the record's complete CRM id map and replaces the stored one.
   */
  async markSynced(goldenId: string, crmIds: CrmLedgerEntry, hash: string): Promise<MarkSyncedResult> {
    const at = this.now().toISOString();
    const entity = goldenEntity(goldenId);
    return this.run((tx) => {
      const pair =
        entity === 'company'
          ? syncedCompany(tx, goldenId, crmIds, hash, at)
          : syncedContact(tx, goldenId, crmIds, hash, at);
      if (!pair) throw new CrmUnifyError('STATE_STORE_FAILED', `markSynced: no golden ${entity} ${goldenId}`);
      const [before, after] = pair;
      tx.apply(crmIdsOp(goldenId, crmIds));
      if (before.delivery === 'pending' && after.delivery !== 'pending')
        tx.del('pending', pendingKey(entity, goldenId));
      if (before.delivery !== 'pending' && after.delivery === 'pending') {
        tx.put('pending', pendingKey(entity, goldenId), { entity, id: goldenId });
      }
      return { goldenId, delivery: after.delivery };
    });
  }

  /** Settles when everything staged so far is durable. */
  async flush(): Promise<void> {
    if (this.open.size) await this.stage([]);
    while (this.writing) await this.writing;
  }

  /** Cache figures, for metrics and the benchmark. */
  cacheStats(): { entries: number; hits: number; misses: number } {
    return { entries: this.cache.size, hits: this.cache.hits, misses: this.cache.misses };
  }

  /**
   * Runs synchronous logic on a Tx, loading whatever it asks for, until it completes; then
   * stages its writes in the same synchronous step (no await in between, or another change
   * could read the state this one is about to change) and waits for their commit.
   */
  private async run<T>(
    fn: (tx: Tx, now: string) => T,
    hints: ReadonlyArray<readonly [Namespace, string]> = [],
  ): Promise<T> {
    for (let round = 0; ; round++) {
      this.assertHealthy();
      const tx = new Tx(this.cache);
      try {
        const result = fn(tx, this.now().toISOString());
        await this.stage(tx.ops());
        return result;
      } catch (err) {
        if (!(err instanceof NeedKeys)) throw err;
        if (round >= MAX_ROUNDS) {
          throw new CrmUnifyError(
            'STATE_STORE_FAILED',
            'resolution did not converge: cache too small for the working set',
          );
        }
        // First miss: also fetch what the change will surely need next, saving a round trip.
        await this.cache.load(round === 0 ? [...err.wanted, ...hints] : err.wanted, this.open.epoch);
      }
    }
  }

  /** Adds ops to the open batch (visible to later changes at once) and waits for its commit. */
  private stage(ops: StateOp[]): Promise<void> {
    this.assertHealthy();
    const batch = this.open;
    this.cache.stage(ops, batch.epoch);
    for (const op of ops) {
      let byKey = batch.ops.get(op.ns);
      if (!byKey) batch.ops.set(op.ns, (byKey = new Map()));
      const before = byKey.size;
      byKey.set(op.key, op);
      batch.size += byKey.size - before;
    }
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (batch.size >= this.maxBatchOps) this.kick();
    else if (!this.scheduled) {
      this.scheduled = true;
      // Let concurrent callers join the batch before it is written.
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
    return done;
  }

  private kick(): void {
    if (this.writing || (this.open.size === 0 && this.open.waiters.length === 0)) return;
    const batch = this.open;
    this.open = { epoch: batch.epoch + 1, ops: new Map(), size: 0, waiters: [] };
    const ops: StateOp[] = [];
    for (const byKey of batch.ops.values()) for (const op of byKey.values()) ops.push(op);
    this.writing = this.store
      .batch(ops)
      .then(
        () => {
          this.cache.committed(ops, batch.epoch);
          for (const w of batch.waiters) w.resolve();
        },
        (err: unknown) => {
          // The cache is now ahead of the store: stop, so nothing acks a state that is not durable.
          this.failure = err;
          this.cache.reset();
          for (const w of [...batch.waiters, ...this.open.waiters]) w.reject(err);
          this.open = { epoch: this.open.epoch + 1, ops: new Map(), size: 0, waiters: [] };
        },
      )
      .finally(() => {
        this.writing = null;
        if (this.open.size >= this.maxBatchOps) this.kick();
        else if (this.open.waiters.length && !this.scheduled) {
          this.scheduled = true;
          setImmediate(() => {
            this.scheduled = false;
            this.kick();
          });
        }
      });
  }

  private assertHealthy(): void {
    if (this.failure) {
      throw new CrmUnifyError('STATE_STORE_FAILED', 'resolver stopped after a failed state write', {
        cause: this.failure,
      });
    }
  }
}
