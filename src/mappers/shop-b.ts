import type { z } from 'zod';
import type { BankAccount, CanonicalChange, Company, Contact } from '../model/canonical.js';
import { type Outcome, accept, reject } from '../model/outcome.js';
import { UNDECODABLE_MARK } from '../normalize/encoding.js';
import { extractLegalForm } from '../normalize/legal-form.js';
import { type PersonName, displayCase, isKnownFirstName, parsePersonName } from '../normalize/person-name.js';
import { cleanOptional } from '../normalize/text.js';
import { type Warnings, buildBankAccount, buildEmails, buildPhones, buildRequisite, checkInn } from './build.js';
import { hasContactData } from './shop-a.js';
import { checkPartner, checkShopBEvent } from './shop-b.check.js';
import { Partner, ShopBEvent } from './shop-b.schema.js';
import { SHOP_B, shopBCompanyId, shopBContactId } from './source-ids.js';

export { Partner, ShopBEvent };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** "partner.taxNumbers[0].value: Invalid input: expected string, received boolean" */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path.reduce<string>(
        (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
        '',
      );
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

/**
 * A Kafka message value → a validated event. The topic is UTF-8 JSON: bytes that are not UTF-8
 * are BAD_ENCODING; not JSON, or not the schema, is MALFORMED_RECORD naming the failing path.
 */
export function decodeShopBEvent(value: Uint8Array | string | null | undefined): Outcome<ShopBEvent> {
  if (value == null || value.length === 0) return reject('MALFORMED_RECORD', 'empty message value');
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = utf8.decode(value);
    } catch {
      return reject('BAD_ENCODING', 'message value is not valid UTF-8');
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return reject('MALFORMED_RECORD', `not JSON: ${(e as Error).message}`);
  }
  const checked = checkShopBEvent(json);
  if (checked) return accept(checked);
  const parsed = ShopBEvent.safeParse(json);
  const partnerId = (json as { partner?: { partnerId?: unknown } } | null)?.partner?.partnerId;
  const sourceId = typeof partnerId === 'string' && partnerId !== '' ? partnerId : undefined;
  if (!parsed.success) return reject('MALFORMED_RECORD', describeIssues(parsed.error), sourceId);
  return accept(parsed.data);
}

/** An event → its canonical change: an upsert maps the partner, a delete withdraws it. */
export function mapShopBEvent(event: ShopBEvent): Outcome<CanonicalChange> {
  if (event.type === 'PARTNER_DELETE') {
    return accept({
      kind: 'delete',
      entity: 'company',
      source: SHOP_B,
      sourceId: shopBCompanyId(event.partner.partnerId),
      changedAt: event.occurredAt,
    });
  }
  return mapParsedPartner(event.partner);
}

/**
 * The path ('contacts[0].lastName') of the first string in the partner holding a 0x98 byte (marked
 * by the dump decoder), walking keys in their order. The path is written only for a hit: the walk
 * over every good partner builds no strings.
 */
function findUndecodable(v: unknown): string | undefined {
  const path: Array<string | number> = [];
  if (!holdsMark(v, path)) return undefined;
  let out = '';
  for (const p of path) out = typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p;
  return out;
}

/** Whether v holds a marked string; if so, `path` (innermost last) leads to the first one. */
function holdsMark(v: unknown, path: Array<string | number>): boolean {
  if (typeof v === 'string') return v.includes(UNDECODABLE_MARK);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (holdsMark(v[i], path)) {
        path.unshift(i);
        return true;
      }
    }
  } else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      if (holdsMark((v as Record<string, unknown>)[k], path)) {
        path.unshift(k);
        return true;
      }
    }
  }
  return false;
}

/** The valid bank accounts, in order (one array, not a map and a filter). */
function bankAccounts(raw: Partner['bankAccounts'], warnings: Warnings): BankAccount[] {
  const out: BankAccount[] = [];
  for (const b of raw) {
    const account = buildBankAccount(b, warnings);
    if (account) out.push(account);
  }
  return out;
}

const taxNumber = (p: Partner, type: string) => p.taxNumbers.find((t) => t.type.toUpperCase() === type)?.value;

/**
 * A contact's name parts. SAP exports often hold the whole name in one field ("Лукина Лидия
 * Семеновна" as the last name, no first name): when the last or the first name is missing and the
 * filled parts have two words or more, they are read as one full name; one word alone in the last
 * name that the first-name dictionary knows is the first name. Otherwise the parts are taken as
 * given, display case fixed.
 */
export function contactName(
  last: string | null | undefined,
  first: string | null | undefined,
  middle: string | null | undefined,
): PersonName {
  const l = cleanOptional(last);
  const f = cleanOptional(first);
  const m = cleanOptional(middle);
  if (!l || !f) {
    const filled = [l, f, m].filter((t): t is string => t !== undefined);
    // Cleaned parts hold single spaces between words only: two words or more is a space somewhere.
    if (filled.length >= 2 || filled[0]?.includes(' ')) return parsePersonName(filled.join(' '));
  }
  // "Лидия" alone in the last-name field is a first name (the dictionary's), not a surname.
  if (l && !f && !m && isKnownFirstName(l)) return { firstName: displayCase(l) };
  const out: PersonName = {};
  if (l) out.lastName = casedWords(l);
  if (f) out.firstName = casedWords(f);
  if (m) out.middleName = casedWords(m);
  return out;
}

/** Display case for each word of a cleaned name part. */
function casedWords(t: string): string {
  return t.includes(' ')
    ? t
        .split(' ')
        .map((w) => displayCase(w))
        .join(' ')
    : displayCase(t);
}

/** A Partner (from the dump, or anything not yet validated) → company + contacts. */
export function mapPartner(input: unknown): Outcome<CanonicalChange> {
  const checked = checkPartner(input);
  if (checked) return mapParsedPartner(checked);
  const parsed = Partner.safeParse(input);
  const rawId = (input as { partnerId?: unknown } | null)?.partnerId;
  if (!parsed.success)
    return reject('MALFORMED_RECORD', describeIssues(parsed.error), typeof rawId === 'string' ? rawId : undefined);
  return mapParsedPartner(parsed.data);
}

/** A Partner already validated by the schema (e.g. inside a decoded event): not parsed twice. */
export function mapParsedPartner(p: Partner): Outcome<CanonicalChange> {
  const sourceId = shopBCompanyId(p.partnerId);
  const bad = findUndecodable(p);
  if (bad) return reject('BAD_ENCODING', `${bad}: holds byte 0x98, which has no character in windows-1251`, sourceId);

  const inn = checkInn(taxNumber(p, 'INN'), sourceId);
  if (!inn.ok) return inn;
  // kind and INN length must agree: an IE has a person's 12-digit INN, an ORG a 10-digit one.
  if (inn.value.kind !== p.kind) {
    return reject(
      'INVALID_INN',
      `kind ${p.kind} needs a ${p.kind === 'ORG' ? 10 : 12}-digit INN, got ${inn.value.inn.length} digits`,
      sourceId,
    );
  }
  const shortRaw = cleanOptional(p.name);
  const fullRaw = cleanOptional(p.fullName);
  if (!shortRaw && !fullRaw) return reject('MALFORMED_RECORD', 'name: empty', sourceId);
  const fromShort = extractLegalForm(shortRaw ?? (fullRaw as string));
  const legalForm = fromShort.legalForm ?? (fullRaw ? extractLegalForm(fullRaw).legalForm : undefined);

  const warnings: Warnings = [];
  const company: Company = {
    source: SHOP_B,
    sourceId,
    changedAt: p.changedAt,
    kind: p.kind,
    name: fromShort.name,
    phones: buildPhones(p.phones, warnings),
    emails: buildEmails(p.emails, warnings),
    requisite: buildRequisite(
      inn.value,
      {
        kpp: taxNumber(p, 'KPP'),
        ogrn: taxNumber(p, 'OGRN'),
        ogrnip: taxNumber(p, 'OGRNIP'),
        name: shortRaw, // buildRequisite keeps only the names that are there
        fullName: fullRaw,
      },
      warnings,
    ),
    bankAccounts: bankAccounts(p.bankAccounts, warnings),
    blocked: p.blocked,
  };
  if (fullRaw) company.fullName = fullRaw;
  if (legalForm) company.legalForm = legalForm;
  const address = cleanOptional(p.address);
  if (address) company.address = address;

  const contacts: Contact[] = [];
  for (const c of p.contacts) {
    const contact: Contact = {
      source: SHOP_B,
      sourceId: shopBContactId(p.partnerId, c.contactId),
      changedAt: p.changedAt,
      company: { source: SHOP_B, sourceId },
      phones: buildPhones(c.phones, warnings),
      emails: buildEmails(c.emails, warnings),
    };
    Object.assign(contact, contactName(c.lastName, c.firstName, c.middleName));
    const position = cleanOptional(c.position);
    if (position) contact.position = position;
    // A nested contact cannot be rejected on its own without rejecting the partner: it is dropped
    // and counted, like the other cleaning findings.
    if (hasContactData(contact)) contacts.push(contact);
    else warnings.push('CONTACT_NO_DATA');
  }
  return accept({ kind: 'company', company, contacts }, warnings);
}
