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

/**
 * A custom field definition (crm.company.userfield.*), in the shape crm.company.userfield.get
 * answers: ids and flags as strings, labels as a map by language.
 */
export interface UserFieldDef {
  ID: string;
  /** `CRM_COMPANY` for company fields. */
  ENTITY_ID: string;
  /** Always `UF_CRM_…`. */
  FIELD_NAME: string;
  USER_TYPE_ID: string;
  XML_ID: string | null;
  SORT: string;
  MULTIPLE: string;
  MANDATORY: string;
  SHOW_FILTER: string;
  SHOW_IN_LIST: string;
  EDIT_IN_LIST: string;
  IS_SEARCHABLE: string;
  SETTINGS: Record<string, unknown>;
  EDIT_FORM_LABEL: Record<string, string>;
  LIST_COLUMN_LABEL: Record<string, string>;
  LIST_FILTER_LABEL: Record<string, string>;
  ERROR_MESSAGE: Record<string, string>;
  HELP_MESSAGE: Record<string, string>;
}

type Sequence = EntityName | 'multifield' | 'userfield';
const entityNames: readonly EntityName[] = ['company', 'contact', 'requisite', 'bankdetail'];

export interface StoreSnapshot {
  version: 1;
  seq: Record<Sequence, number>;
  entities: Record<EntityName, StoredEntity[]>;
  /** Absent in files written before user fields existed. */
  userFields?: UserFieldDef[];
}

export class PortalStore {
  private tables = new Map<EntityName, Map<number, StoredEntity>>(entityNames.map((e) => [e, new Map()]));
  private seq: Record<Sequence, number> = {
    company: 0,
    contact: 0,
    requisite: 0,
    bankdetail: 0,
    multifield: 0,
    userfield: 0,
  };
  private userFieldDefs = new Map<number, UserFieldDef>();
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

  /** Adds a user field definition (the caller checked it); its id comes from its own sequence. */
  addUserField(def: Omit<UserFieldDef, 'ID'>): number {
    const id = ++this.seq.userfield;
    this.userFieldDefs.set(id, { ...structuredClone(def), ID: String(id) });
    this.changed();
    return id;
  }

  /** User field definitions of an entity (`CRM_COMPANY`), in id order; copies. */
  userFields(entityId: string): UserFieldDef[] {
    return [...this.userFieldDefs.values()]
      .filter((d) => d.ENTITY_ID === entityId)
      .sort((a, b) => Number(a.ID) - Number(b.ID))
      .map((d) => structuredClone(d));
  }

  userField(id: number): UserFieldDef | undefined {
    const d = this.userFieldDefs.get(id);
    return d ? structuredClone(d) : undefined;
  }

  /** FIELD_NAMEs defined for an entity: the only UF_ fields its records keep. */
  userFieldNames(entityId: string): string[] {
    return [...this.userFieldDefs.values()]
      .filter((d) => d.ENTITY_ID === entityId)
      .sort((a, b) => Number(a.ID) - Number(b.ID))
      .map((d) => d.FIELD_NAME);
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
    return structuredClone({
      version: 1,
      seq: { ...this.seq },
      entities,
      userFields: [...this.userFieldDefs.values()],
    });
  }

  load(snap: StoreSnapshot): void {
    if (snap.version !== 1) throw new Error(`unsupported sandbox data version ${String(snap.version)}`);
    this.seq = { ...this.seq, ...snap.seq };
    for (const e of entityNames) {
      this.tables.set(e, new Map((snap.entities[e] ?? []).map((r) => [r.id, structuredClone(r)])));
    }
    this.userFieldDefs = new Map((snap.userFields ?? []).map((d) => [Number(d.ID), structuredClone(d)]));
  }

  clear(): void {
    for (const e of entityNames) this.table(e).clear();
    this.userFieldDefs.clear();
    this.seq = { company: 0, contact: 0, requisite: 0, bankdetail: 0, multifield: 0, userfield: 0 };
    this.changed();
  }
}
