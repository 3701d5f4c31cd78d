import { validateInn } from '../identifiers/index.js';
import type { Random } from './random.js';
import { longForm, type TrueCompany, type TruePerson } from './universe.js';
import { translit } from './vocabulary.js';

/** How real stores spell things: the dirt the cleaning stages must see through. */
export function dirtyCompanyName(rnd: Random, c: TrueCompany): string {
  const q = rnd.pick([
    ['"', '"'],
    ['«', '»'],
    ['“', '”'],
    ['„', '“'],
    ['', ''],
  ] as const);
  const name = c.kind === 'IE' ? c.name : `${q[0]}${c.name}${q[1]}`;
  switch (rnd.int(0, 5)) {
    case 0:
      return `${c.form}  ${name} `;
    case 1:
      return `${longForm(c.form)} ${name}`;
    case 2:
      return c.kind === 'IE' ? `ИП ${c.name}` : `${name} ${c.form}`;
    case 3:
      return `${c.form}\u00a0${name}`;
    case 4:
      return `${c.form.toLowerCase()} ${name}`;
    default:
      return `${c.form} ${name}`;
  }
}

export function dirtyIdentifier(rnd: Random, id: string): string {
  switch (rnd.int(0, 4)) {
    case 0:
      return id.replace(/(\d{2})(\d{2})(\d{3})/, '$1 $2 $3 ');
    case 1:
      return ` ${id} `;
    case 2:
      return id.replace(/(\d{4})(\d+)/, '$1-$2');
    default:
      return id;
  }
}

/** An INN broken the way people break them: one digit changed, so the checksum fails. */
export function corruptInn(rnd: Random, inn: string): string {
  // (sum mod 11) mod 10 maps remainders 0 and 10 to one digit, so some changes stay valid: retry.
  for (;;) {
    const i = rnd.int(0, inn.length - 2);
    const d = (Number(inn[i]) + rnd.int(1, 9)) % 10;
    const bad = inn.slice(0, i) + d + inn.slice(i + 1);
    if (!validateInn(bad).valid) return bad;
  }
}

/** One of many spellings of a Russian number (digits are 7XXXXXXXXXX). */
export function dirtyPhone(rnd: Random, e164digits: string, ext?: string): string {
  const n = e164digits.slice(1);
  const [a, b, c, d] = [n.slice(0, 3), n.slice(3, 6), n.slice(6, 8), n.slice(8, 10)];
  const base = rnd.pick([
    `+7 (${a}) ${b}-${c}-${d}`,
    `8 ${a} ${b} ${c} ${d}`,
    `8${n}`,
    `+7${n}`,
    `8-${a}-${b}-${c}-${d}`,
    `7 ${a} ${b}${c}${d}`,
    `(${a}) ${b}-${c}-${d}`,
    `+7-${a}-${b}${c}${d}`,
  ]);
  if (!ext) return base;
  return `${base} ${rnd.pick(['доб.', 'доб', 'ext.', 'вн.'])} ${ext}`;
}

export function dirtyEmail(rnd: Random, email: string): string {
  switch (rnd.int(0, 3)) {
    case 0:
      return ` ${email} `;
    case 1:
      return email.replace(/^./, (x) => x.toUpperCase());
    case 2:
      return email.toUpperCase();
    default:
      return email;
  }
}

/**
 * How a person's name is written in one record. Most records spell it out; the rest are the hard
 * cases real exports hold: another word order, case, ё written е, no patronymic, initials, the
 * first name alone, Latin transliteration.
 */
export type NameForm =
  | 'full'
  | 'lower'
  | 'upper'
  | 'yo'
  | 'spaces'
  | 'firstFirst'
  | 'noMiddle'
  | 'initials'
  | 'initialsFirst'
  | 'firstOnly'
  | 'latin';

const nameForms: ReadonlyArray<[NameForm, number]> = [
  ['full', 46],
  ['lower', 8],
  ['upper', 8],
  ['yo', 8],
  ['spaces', 4],
  ['firstFirst', 8],
  ['noMiddle', 6],
  ['initials', 4],
  ['initialsFirst', 2],
  ['firstOnly', 2],
  ['latin', 4],
];
/** Forms that hold no full name (last AND first name AND patronymic): they cannot be a name key alone. */
export const weakNameForms: ReadonlySet<NameForm> = new Set(['noMiddle', 'initials', 'initialsFirst', 'firstOnly']);

/** A record's name form; `weak: false` leaves out the forms that hold no full name. */
export function nameForm(rnd: Random, weak = true): NameForm {
  const forms = weak ? nameForms : nameForms.filter(([f]) => !weakNameForms.has(f));
  let x = rnd.int(
    1,
    forms.reduce((n, [, w]) => n + w, 0),
  );
  for (const [form, w] of forms) if ((x -= w) <= 0) return form;
  return 'full';
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const latinName = (s: string) => cap([...s.toLowerCase()].map((c) => translit[c] ?? c).join(''));

/** The name parts as one record writes them (null: left empty). */
export function nameParts(
  p: TruePerson,
  form: NameForm,
): { last: string | null; first: string | null; middle: string | null; order: 'lfm' | 'fml' } {
  const [l, f, m] = [p.lastName, p.firstName, p.middleName];
  switch (form) {
    case 'lower':
      return { last: l.toLowerCase(), first: f.toLowerCase(), middle: m.toLowerCase(), order: 'lfm' };
    case 'upper':
      return { last: l.toUpperCase(), first: f.toUpperCase(), middle: m.toUpperCase(), order: 'lfm' };
    case 'yo':
      return { last: l.replace(/ё/g, 'е'), first: f.replace(/ё/g, 'е'), middle: m.replace(/ё/g, 'е'), order: 'lfm' };
    case 'firstFirst':
      return { last: l, first: f, middle: m, order: 'fml' };
    case 'noMiddle':
      return { last: l, first: f, middle: null, order: p.id % 2 ? 'fml' : 'lfm' };
    case 'initials':
      return { last: l, first: `${f[0]}.`, middle: `${m[0]}.`, order: 'lfm' };
    case 'initialsFirst':
      return { last: l, first: `${f[0]}.`, middle: `${m[0]}.`, order: 'fml' };
    case 'firstOnly':
      return { last: null, first: f, middle: null, order: 'lfm' };
    case 'latin':
      return { last: latinName(l), first: latinName(f), middle: latinName(m), order: 'fml' };
    default:
      return { last: l, first: f, middle: m, order: 'lfm' };
  }
}

/** The name as one text field holds it ("Лукина Лидия Семеновна", "Л.С. Лукина", "Lidiya Semenovna Lukina"). */
export function fullNameText(p: TruePerson, form: NameForm): string {
  const n = nameParts(p, form);
  if (form === 'initialsFirst') return `${n.first}${n.middle} ${n.last}`;
  const words = n.order === 'fml' ? [n.first, n.middle, n.last] : [n.last, n.first, n.middle];
  return words.filter((w) => w !== null).join(form === 'spaces' ? '   ' : ' ');
}

/** An e-mail with one letter of its local part changed, as typed by hand. */
export function typoEmail(rnd: Random, email: string): string {
  const at = email.indexOf('@');
  const i = rnd.int(0, at - 1);
  const c = email[i] === 'a' ? 'o' : 'a';
  return email.slice(0, i) + c + email.slice(i + 1);
}
