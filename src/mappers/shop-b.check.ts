import { IsoDateTime, type Partner, type ShopBEvent } from './shop-b.schema.js';

/**
 * The Shop B schema checked by hand on the hot path: what `Partner.safeParse` / `ShopBEvent.safeParse`
 * give for an input they accept (the same values, keys and key order, nulls and transforms), or
 * undefined whenever the input is not plainly one they accept. The caller then runs zod, the
 * schema of record, which decides and words the error; so a reject and its message come from zod
 * as before. zod walks the object through generic per-field parsers at about twice this cost.
 * shop-b.check.test.ts holds the two to each other on good and mutated partners and events.
 *
 * The rules copied from shop-b.schema.ts (change both together; the test fails when they differ):
 * a present optional text is copied as it is (null stays null), an absent one stays absent; a
 * nullish list becomes []; a number where a tax number value or contact id may be one becomes its
 * String; blocked defaults to false.
 */

type Json = Record<string, unknown>;

/** Not sure: leave it to zod. */
class NotSure extends Error {}
const NOT_SURE = new NotSure();

function object(v: unknown): Json {
  // Plain objects only (what JSON.parse makes): anything else is zod's to judge.
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) throw NOT_SURE;
  return v as Json;
}

function text(v: unknown): string {
  if (typeof v !== 'string') throw NOT_SURE;
  return v;
}

function nonEmpty(v: unknown): string {
  if (typeof v !== 'string' || v === '') throw NOT_SURE;
  return v;
}

/** z.union([z.string() (min 1 where asked), z.number().transform(String)]) */
function textOrNumber(v: unknown, min: 0 | 1): string {
  if (typeof v === 'string' && v.length >= min) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw NOT_SURE;
}

/** z.string().nullish() under key `k`: copied when present, absent when absent. */
function optionalText(out: Json, input: Json, k: string): void {
  if (!(k in input)) return;
  const v = input[k];
  if (v != null && typeof v !== 'string') throw NOT_SURE;
  out[k] = v;
}

/** z.array(item).nullish().transform((v) => v ?? []) */
function list<T>(v: unknown, item: (x: unknown) => T): T[] {
  if (v == null) return [];
  if (!Array.isArray(v)) throw NOT_SURE;
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = item(v[i]);
  return out;
}

function taxNumber(v: unknown): Partner['taxNumbers'][number] {
  const t = object(v);
  return { type: nonEmpty(t.type), value: textOrNumber(t.value, 0) };
}

function bankAccount(v: unknown): Partner['bankAccounts'][number] {
  const b = object(v);
  const out: Json = {};
  optionalText(out, b, 'bik');
  optionalText(out, b, 'account');
  optionalText(out, b, 'corrAccount');
  optionalText(out, b, 'bankName');
  return out as Partner['bankAccounts'][number];
}

function contact(v: unknown): Partner['contacts'][number] {
  const c = object(v);
  const out: Json = { contactId: textOrNumber(c.contactId, 1) };
  optionalText(out, c, 'lastName');
  optionalText(out, c, 'firstName');
  optionalText(out, c, 'middleName');
  optionalText(out, c, 'position');
  out.phones = list(c.phones, text);
  out.emails = list(c.emails, text);
  return out as Partner['contacts'][number];
}

function isoDateTime(v: unknown): string {
  // The schema's own datetime check (a regex), not a copy of it.
  if (typeof v !== 'string' || !IsoDateTime.safeParse(v).success) throw NOT_SURE;
  return v;
}

function partner(v: unknown): Partner {
  const p = object(v);
  const out: Json = { partnerId: nonEmpty(p.partnerId) };
  if (p.kind !== 'ORG' && p.kind !== 'IE') throw NOT_SURE;
  out.kind = p.kind;
  out.name = text(p.name);
  optionalText(out, p, 'fullName');
  out.taxNumbers = list(p.taxNumbers, taxNumber);
  optionalText(out, p, 'address');
  out.phones = list(p.phones, text);
  out.emails = list(p.emails, text);
  out.bankAccounts = list(p.bankAccounts, bankAccount);
  if (p.blocked != null && typeof p.blocked !== 'boolean') throw NOT_SURE;
  out.blocked = p.blocked ?? false;
  out.changedAt = isoDateTime(p.changedAt);
  out.contacts = list(p.contacts, contact);
  return out as Partner;
}

function sure<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e === NOT_SURE) return undefined;
    throw e;
  }
}

/** `Partner.safeParse(input).data` when the input is plainly a Partner; undefined: ask zod. */
export function checkPartner(input: unknown): Partner | undefined {
  return sure(() => partner(input));
}

/** `ShopBEvent.safeParse(input).data` for a plain PARTNER_UPSERT; undefined (deletes too): ask zod. */
export function checkShopBEvent(input: unknown): ShopBEvent | undefined {
  return sure(() => {
    const e = object(input);
    if (e.type !== 'PARTNER_UPSERT') throw NOT_SURE;
    return {
      eventId: nonEmpty(e.eventId),
      occurredAt: isoDateTime(e.occurredAt),
      type: 'PARTNER_UPSERT',
      partner: partner(e.partner),
    };
  });
}
