import { CrmUnifyError } from '../../core/errors.js';
import { bankKey, requisiteKey } from './fields.js';
import { readRows } from './multifields.js';
import type { ReadNeed, Work } from './plan.js';
import type { Bitrix24Client, BatchCommand } from './rest-client.js';
import type { SentFields } from './types.js';

/**
 * Bulk reads of what the CRM holds: `crm.*.list` filtered by a list of values (`@ID`, `@RQ_INN`,
 * `@COMPANY_ID`; docs/bitrix24-api-facts.md), 50 rows a page, many companies per command. Used
 * before updates (people's edits, multifield row ids) and before creates (adoption by INN).
 */

const PAGE = 50;
/** INNs per requisite look-up: a company may have several requisites (branches), so fewer than a page. */
const INNS_PER_COMMAND = 25;

const selects: Record<ReadNeed['entity'], string[]> = {
  company: ['ID', 'TITLE', 'COMPANY_TYPE', 'ADDRESS', 'ORIGINATOR_ID', 'ORIGIN_ID', 'PHONE', 'EMAIL'],
  contact: [
    'ID',
    'COMPANY_ID',
    'NAME',
    'LAST_NAME',
    'SECOND_NAME',
    'POST',
    'ORIGINATOR_ID',
    'ORIGIN_ID',
    'PHONE',
    'EMAIL',
  ],
  requisite: [
    'ID',
    'ENTITY_TYPE_ID',
    'ENTITY_ID',
    'NAME',
    'RQ_INN',
    'RQ_KPP',
    'RQ_OGRN',
    'RQ_OGRNIP',
    'RQ_NAME',
    'RQ_COMPANY_NAME',
    'RQ_COMPANY_FULL_NAME',
    'XML_ID',
    'ORIGINATOR_ID',
  ],
  bankdetail: [
    'ID',
    'ENTITY_ID',
    'NAME',
    'RQ_BIK',
    'RQ_ACC_NUM',
    'RQ_COR_ACC_NUM',
    'RQ_BANK_NAME',
    'XML_ID',
    'ORIGINATOR_ID',
  ],
};

const methods: Record<ReadNeed['entity'], string> = {
  company: 'crm.company.list',
  contact: 'crm.contact.list',
  requisite: 'crm.requisite.list',
  bankdetail: 'crm.requisite.bankdetail.list',
};

type Row = Record<string, unknown>;

/** A CRM row's scalar fields as strings (null and absent read as ''), as `SentFields` keeps them. */
export function crmValues(row: Row): SentFields {
  const out: SentFields = {};
  for (const [k, v] of Object.entries(row))
    if (v === null || typeof v !== 'object') out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}

interface Query {
  entity: ReadNeed['entity'];
  filter: Record<string, unknown>;
}

/**
 * Runs list queries, `batchSize` per request, following each query's pages by ID (`>ID`,
 * `start: -1`, the fast enumeration of the docs) until a page comes back short. A retriable failure
 * marks every work for retry; what was read so far stays.
 */
async function listAll(client: Bitrix24Client, batchSize: number, queries: Query[]): Promise<Row[][]> {
  const out: Row[][] = queries.map(() => []);
  let open = queries.map((q, i) => ({ i, q, after: 0 }));
  while (open.length) {
    const next: typeof open = [];
    for (let s = 0; s < open.length; s += batchSize) {
      const part = open.slice(s, s + batchSize);
      const cmds: Record<string, BatchCommand> = Object.fromEntries(
        part.map((p, k) => [
          `q${k}`,
          {
            method: methods[p.q.entity],
            params: {
              filter: { ...p.q.filter, ...(p.after ? { '>ID': p.after } : {}) },
              select: selects[p.q.entity],
              order: { ID: 'ASC' },
              start: -1,
            },
          },
        ]),
      );
      const answer = await client.batch(cmds);
      part.forEach((p, k) => {
        const rows = answer.result[`q${k}`];
        if (!Array.isArray(rows)) {
          const e = answer.errors[`q${k}`];
          throw new CrmUnifyError(
            'CRM_UNAVAILABLE',
            `${methods[p.q.entity]}: ${e?.error ?? ''} ${e?.error_description ?? 'no answer'}`.trim(),
            { retriable: true },
          );
        }
        out[p.i]!.push(...(rows as Row[]));
        if (rows.length >= PAGE) next.push({ ...p, after: Number((rows as Row[])[rows.length - 1]!.ID) });
      });
    }
    open = next;
  }
  return out;
}

const chunks = <T>(xs: readonly T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** Reads the current CRM values (and multifield rows) of the entities the plans asked for. */
export async function readCurrent(client: Bitrix24Client, batchSize: number, works: readonly Work[]): Promise<void> {
  const wanted = new Map<string, Array<{ w: Work; need: ReadNeed }>>();
  for (const w of works)
    for (const need of w.needs ?? []) {
      const k = `${need.entity}:${need.id}`;
      wanted.set(k, [...(wanted.get(k) ?? []), { w, need }]);
    }
  const queries: Query[] = [];
  for (const entity of Object.keys(methods) as Array<ReadNeed['entity']>) {
    const ids = [
      ...new Set(
        [...wanted.values()]
          .flat()
          .filter((x) => x.need.entity === entity)
          .map((x) => x.need.id),
      ),
    ];
    for (const part of chunks(ids, PAGE)) queries.push({ entity, filter: { '@ID': part } });
  }
  const results = await listAll(client, batchSize, queries);
  const seen = new Set<string>();
  results.forEach((rows, qi) => {
    const entity = queries[qi]!.entity;
    for (const row of rows) {
      const k = `${entity}:${Number(row.ID)}`;
      seen.add(k);
      for (const { w, need } of wanted.get(k) ?? []) apply(w, need, row);
    }
  });
  // An entity missing from the answer was deleted in the CRM: its update fails "not found" and is looked up again.
  for (const [k, list] of wanted) if (!seen.has(k)) for (const { w, need } of list) apply(w, need, {});
}

function apply(w: Work, need: ReadNeed, row: Row): void {
  w.crm.set(need.ref, crmValues(row));
  if (need.entity === 'company') w.ids.companyRows = readRows(row);
  if (need.entity === 'contact') {
    const ct = Object.values(w.ids.contacts).find((c) => c.id === need.id);
    if (ct) ct.rows = readRows(row);
  }
}

const nameKey = (...parts: unknown[]): string =>
  parts
    .map((p) =>
      String(p ?? '')
        .trim()
        .toLowerCase()
        .replace(/ё/g, 'е'),
    )
    .filter(Boolean)
    .join(' ');
const phoneKey = (v: string): string =>
  v
    .replace(/доб.*$/i, '')
    .replace(/\D/g, '')
    .slice(-10);

/**
 * Adoption (issue: a live CRM). Before companies are created, CRM companies whose requisite holds
 * their INN are looked for, many INNs per command. Found: the oldest company (lowest ID) is
 * adopted with its requisites (by KPP) and bank details (by account), the rest are reported as
 * twins; inside it, contacts people entered are adopted when they match a golden contact by
 * e-mail, phone or full name (as resolution matches). Adopted entities get `sent = {}`: nothing
 * written by this pipeline yet, so only empty fields are filled and differing ones are conflicts.
 */
export async function adoptByInn(
  client: Bitrix24Client,
  batchSize: number,
  works: readonly Work[],
  originator: string,
): Promise<void> {
  const byInn = new Map(works.map((w) => [w.input.requisites[0]?.inn ?? w.input.goldenId, w]));
  const queries: Query[] = chunks([...byInn.keys()], INNS_PER_COMMAND).map((inns) => ({
    entity: 'requisite',
    filter: { ENTITY_TYPE_ID: 4, '@RQ_INN': inns },
  }));
  const requisites = (await listAll(client, batchSize, queries)).flat();
  const companiesOf = new Map<string, number[]>();
  for (const r of requisites) {
    const inn = String(r.RQ_INN ?? '');
    const list = companiesOf.get(inn) ?? [];
    if (!list.includes(Number(r.ENTITY_ID))) list.push(Number(r.ENTITY_ID));
    companiesOf.set(inn, list);
  }
  const adopted = new Map<number, Work>();
  for (const [inn, w] of byInn) {
    w.innChecked = true;
    const found = (companiesOf.get(inn) ?? []).sort((a, b) => a - b);
    const known = w.ids.companyId;
    if (found.length === 0 || (known !== undefined && !found.includes(known))) continue;
    const id = known ?? found[0]!;
    if (known === undefined) {
      w.ids.companyId = id;
      w.ids.companyRows = undefined;
      w.ids.preexisting = true;
      w.contactsChecked = false;
      (w.ids.sent ??= {}).c = {};
      w.adopted.push('c');
      if (found.length > 1) w.twins = found.slice(1);
    }
    w.ids.sent ??= {};
    adopted.set(id, w);
    for (const r of requisites) {
      if (Number(r.ENTITY_ID) !== id || String(r.RQ_INN) !== inn) continue;
      const key = requisiteKey({ inn, kpp: r.RQ_KPP ? String(r.RQ_KPP) : undefined, name: '' });
      if (w.ids.requisites[key] !== undefined || !w.input.requisites.some((q) => requisiteKey(q) === key)) continue;
      w.ids.requisites[key] = Number(r.ID);
      w.ids.sent![`rq:${key}`] = {};
      w.adopted.push(`rq:${key}`);
    }
  }
  if (adopted.size === 0) return;
  const rqIds = [...adopted.values()].flatMap((w) => Object.values(w.ids.requisites));
  const [banks, contacts] = await Promise.all([
    listAll(
      client,
      batchSize,
      chunks(rqIds, PAGE).map((ids) => ({ entity: 'bankdetail' as const, filter: { '@ENTITY_ID': ids } })),
    ),
    listAll(
      client,
      batchSize,
      chunks([...adopted.keys()], PAGE).map((ids) => ({ entity: 'contact' as const, filter: { '@COMPANY_ID': ids } })),
    ),
  ]);
  for (const w of adopted.values()) {
    const mine = new Set(Object.values(w.ids.requisites));
    for (const b of banks.flat()) {
      const key = bankKey({ bik: String(b.RQ_BIK ?? ''), account: String(b.RQ_ACC_NUM ?? '') });
      if (
        !mine.has(Number(b.ENTITY_ID)) ||
        w.ids.bankDetails[key] !== undefined ||
        !w.input.bankAccounts.some((a) => bankKey(a) === key)
      )
        continue;
      w.ids.bankDetails[key] = Number(b.ID);
      w.ids.sent![`bd:${key}`] = {};
      w.adopted.push(`bd:${key}`);
    }
  }
  adoptContacts(adopted, contacts.flat(), originator);
}

/** Golden contacts about to be created in adopted companies: matched against the CRM's contacts of those companies first. */
export async function adoptContactsIn(
  client: Bitrix24Client,
  batchSize: number,
  works: readonly Work[],
  originator: string,
): Promise<void> {
  const byCompany = new Map(works.filter((w) => w.ids.companyId !== undefined).map((w) => [w.ids.companyId!, w]));
  const rows = await listAll(
    client,
    batchSize,
    chunks([...byCompany.keys()], PAGE).map((ids) => ({ entity: 'contact' as const, filter: { '@COMPANY_ID': ids } })),
  );
  adoptContacts(byCompany, rows.flat(), originator);
  for (const w of works) w.contactsChecked = true;
}

/** Matches the CRM contacts of adopted companies to their golden contacts; the companies count as checked. */
function adoptContacts(adopted: ReadonlyMap<number, Work>, rows: readonly Row[], originator: string): void {
  // A contact already linked to one of ours is not offered again.
  const taken = new Set([...adopted.values()].flatMap((w) => Object.values(w.ids.contacts).map((c) => c.id)));
  for (const w of adopted.values()) w.contactsChecked = true;
  for (const row of [...rows].sort((a, b) => Number(a.ID) - Number(b.ID))) {
    const w = adopted.get(Number(row.COMPANY_ID));
    if (!w || taken.has(Number(row.ID))) continue;
    // A contact this pipeline made for another golden contact is not a person's entry.
    if (row.ORIGINATOR_ID === originator) continue;
    const crmRows = readRows(row);
    const emails = new Set(crmRows.filter((r) => r.type === 'EMAIL').map((r) => r.value.trim().toLowerCase()));
    const phones = new Set(
      crmRows
        .filter((r) => r.type === 'PHONE')
        .map((r) => phoneKey(r.value))
        .filter((p) => p.length === 10),
    );
    const name = nameKey(row.LAST_NAME, row.NAME, row.SECOND_NAME);
    const match = w.input.contacts.find(
      (p) =>
        w.ids.contacts[p.goldenId] === undefined &&
        (p.emails.some((e) => emails.has(e.toLowerCase())) ||
          p.phones.some((ph) => !ph.ext && phones.has(phoneKey(ph.e164))) ||
          (name.includes(' ') && nameKey(p.lastName, p.firstName, p.middleName) === name)),
    );
    if (!match) continue;
    taken.add(Number(row.ID));
    w.ids.contacts[match.goldenId] = { id: Number(row.ID), rows: crmRows };
    w.ids.sent![`ct:${match.goldenId}`] = {};
    w.crm.set(`ct:${match.goldenId}`, crmValues(row));
    w.adopted.push(`ct:${match.goldenId}`);
  }
}
