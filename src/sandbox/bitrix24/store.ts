/**
 * The portal's data: one table per entity, integer ids from per-table sequences (never reused,
 * like auto-increment), multifield rows with their own global id sequence. Plain data only, so a
 * snapshot is JSON and tests can inspect it directly.
 */
import type { EntityName, MultifieldType } from './schema.js';

export interface MultiRow {
  ID: number;
  VALUE: string;
  VALUE_TYPE: string;
}

export interface StoredEntity {
  id: number;
  fields: Record<string, string | null>;
  multi: Partial<Record<MultifieldType, MultiRow[]>>;
}

type Sequence = EntityName | 'multifield';
const entityNames: readonly EntityName[] = ['company', 'contact', 'requisite', 'bankdetail'];

export interface StoreSnapshot {
  version: 1;
  seq: Record<Sequence, number>;
  entities: Record<EntityName, StoredEntity[]>;
}

export class PortalStore {
  private tables = new Map<EntityName, Map<number, StoredEntity>>(entityNames.map((e) => [e, new Map()]));
  private seq: Record<Sequence, number> = { company: 0, contact: 0, requisite: 0, bankdetail: 0, multifield: 0 };
  private readonly listeners: Array<() => void> = [];

  /** Called after every write (persistence hooks in here). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private table(entity: EntityName): Map<number, StoredEntity> {
    return this.tables.get(entity) as Map<number, StoredEntity>;
  }

  nextMultifieldId(): number {
    return ++this.seq.multifield;
  }

  add(entity: EntityName, fields: Record<string, string | null>, multi: StoredEntity['multi'] = {}): number {
    const id = ++this.seq[entity];
    this.table(entity).set(id, { id, fields: { ...fields, ID: String(id) }, multi });
    this.changed();
    return id;
  }

  get(entity: EntityName, id: number): StoredEntity | undefined {
    return this.table(entity).get(id);
  }

  /** Replaces the stored record (callers build the new version from a copy of the old). */
  put(entity: EntityName, record: StoredEntity): void {
    this.table(entity).set(record.id, record);
    this.changed();
  }

  remove(entity: EntityName, id: number): boolean {
    const ok = this.table(entity).delete(id);
    if (ok) this.changed();
    return ok;
  }

  /** All records in id order. */
  all(entity: EntityName): StoredEntity[] {
    return [...this.table(entity).values()].sort((a, b) => a.id - b.id);
  }

  counts(): Record<EntityName, number> {
    return Object.fromEntries(entityNames.map((e) => [e, this.table(e).size])) as Record<EntityName, number>;
  }

  snapshot(): StoreSnapshot {
    const entities = Object.fromEntries(entityNames.map((e) => [e, this.all(e)])) as StoreSnapshot['entities'];
    return structuredClone({ version: 1, seq: { ...this.seq }, entities });
  }

  load(snap: StoreSnapshot): void {
    if (snap.version !== 1) throw new Error(`unsupported sandbox data version ${String(snap.version)}`);
    this.seq = { ...this.seq, ...snap.seq };
    for (const e of entityNames) {
      this.tables.set(e, new Map((snap.entities[e] ?? []).map((r) => [r.id, structuredClone(r)])));
    }
  }

  clear(): void {
    for (const e of entityNames) this.table(e).clear();
    this.seq = { company: 0, contact: 0, requisite: 0, bankdetail: 0, multifield: 0 };
    this.changed();
  }
}
