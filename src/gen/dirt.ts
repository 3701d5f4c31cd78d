import { validateInn } from '../identifiers/index.js';
import type { Random } from './random.js';
import { longForm, type TrueCompany, type TruePerson } from './universe.js';

/** How real stores spell things: the dirt the cleaning stages must see through. */
export function dirtyCompanyName(rnd: Random, c: TrueCompany): string {
  const q = rnd.pick([['"', '"'], ['«', '»'], ['“', '”'], ['„', '“'], ['', '']] as const);
  const name = c.kind === 'IE' ? c.name : `${q[0]}${c.name}${q[1]}`;
  switch (rnd.int(0, 5)) {
    case 0: return `${c.form}  ${name} `;
    case 1: return `${longForm(c.form)} ${name}`;
    case 2: return c.kind === 'IE' ? `ИП ${c.name}` : `${name} ${c.form}`;
    case 3: return `${c.form}\u00a0${name}`;
    case 4: return `${c.form.toLowerCase()} ${name}`;
    default: return `${c.form} ${name}`;
  }
}

export function dirtyIdentifier(rnd: Random, id: string): string {
  switch (rnd.int(0, 4)) {
    case 0: return id.replace(/(\d{2})(\d{2})(\d{3})/, '$1 $2 $3 ');
    case 1: return ` ${id} `;
    case 2: return id.replace(/(\d{4})(\d+)/, '$1-$2');
    default: return id;
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
    `+7 (${a}) ${b}-${c}-${d}`, `8 ${a} ${b} ${c} ${d}`, `8${n}`, `+7${n}`, `8-${a}-${b}-${c}-${d}`, `7 ${a} ${b}${c}${d}`,
    `(${a}) ${b}-${c}-${d}`, `+7-${a}-${b}${c}${d}`,
  ]);
  if (!ext) return base;
  return `${base} ${rnd.pick(['доб.', 'доб', 'ext.', 'вн.'])} ${ext}`;
}

export function dirtyEmail(rnd: Random, email: string): string {
  switch (rnd.int(0, 3)) {
    case 0: return ` ${email} `;
    case 1: return email.replace(/^./, (x) => x.toUpperCase());
    case 2: return email.toUpperCase();
    default: return email;
  }
}

/** Shop A keeps a person's name in one field, in any case and sometimes as initials. */
export function dirtyFullName(rnd: Random, p: TruePerson, allowWeak: boolean): string {
  const full = `${p.lastName} ${p.firstName} ${p.middleName}`;
  const roll = rnd.int(0, allowWeak ? 6 : 3);
  switch (roll) {
    case 0: return full.toLowerCase();
    case 1: return full.replace(/ё/g, 'е');
    case 2: return `  ${p.lastName}   ${p.firstName} ${p.middleName}`;
    case 4: return `${p.lastName.toLowerCase()} ${p.firstName[0]}.${p.middleName[0]}.`;
    case 5: return p.firstName;
    case 6: return `${p.lastName} ${p.firstName[0]}. ${p.middleName[0]}.`;
    default: return full;
  }
}
