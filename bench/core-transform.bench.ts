/**
 * Core transform benchmark: map + normalize + validate, in memory, on one core, no I/O.
 * Generates N dirty source records deterministically — Shop A company rows (windows-1251
 * bytes, as the replica stores them), Shop A contact rows, and Shop B partners with contacts —
 * in the seed system's proportions (53k : 75k : 125k), then times the mappers over them.
 *
 *   npx tsx bench/core-transform.bench.ts [N] [seed]
 * prints one JSON line: {"bench":"core-transform","records":…,"recordsPerSec":…}
 */
import iconv from 'iconv-lite';
import { pathToFileURL } from 'node:url';
import { innCheckDigits } from '../src/identifiers/inn.js';
import { ogrnCheckDigit } from '../src/identifiers/ogrn.js';
import { accountKey } from '../src/identifiers/account.js';
import { mapShopACompany, mapShopAContact, type ShopACompanyRow, type ShopAContactRow } from '../src/mappers/shop-a.js';
import { mapPartner } from '../src/mappers/shop-b.js';
import { seededRandom as rng } from '../src/core/random.js';

export interface CoreTransformResult {
  bench: 'core-transform';
  records: number;
  recordsPerSec: number;
  ms: number;
  accepted: number;
  rejected: number;
  contacts: number;
}

type Input = { a: ShopACompanyRow } | { c: ShopAContactRow } | { b: unknown };

export function generate(n: number, seed = 1): Input[] {
  const r = rng(seed);
  const int = (max: number) => Math.floor(r() * max);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const digits = (len: number) => Array.from({ length: len }, () => int(10)).join('');
  const names = ['Ромашка', 'Василёк', 'Техснаб', 'Альфа-Строй', 'СеверТорг', 'Гермес', 'Прогресс', 'Вектор'];
  const forms = [
    'ООО "%"',
    'ООО  «%» ',
    'АО "%"',
    'ПАО %',
    '% ООО',
    'ЗАО «%»',
    'Общество с ограниченной ответственностью "%"',
  ];
  const people = [
    'Иванов Иван Иванович',
    'иванов и.и.',
    'Петров П. П.',
    'СИДОРОВА АННА СЕРГЕЕВНА',
    'Ivan',
    'Смирнов Алексей',
    'Кузнецова Е.В.',
  ];
  const phones = [
    '+7 (495) 500-55-50',
    '8 800 555 55 50 доб. 123',
    '8-916-123-45-67, 8 (495) 123-45-67',
    '4955005550',
    '8 812 325 25 25 доб. 2',
    '123',
    '',
  ];
  const emails = ['Info@Romashka.ru ', 'sales@firma.ru; buh@firma.ru', 'bad@', '', 'Ivanov <Ivanov@Mail.Ru>'];
  const inn10 = () => {
    const body = `77${digits(7)}`;
    const inn = body + innCheckDigits(body);
    const roll = r();
    if (roll < 0.03) return '';
    if (roll < 0.06) return inn.slice(0, 9) + String((Number(inn[9]) + 1) % 10); // wrong check digit
    if (roll < 0.3) return `${inn.slice(0, 2)} ${inn.slice(2, 4)}-${inn.slice(4, 7)} ${inn.slice(7)}`; // spaced
    return inn;
  };
  const ogrn = () => {
    const b = `1027${digits(8)}`;
    return b + ogrnCheckDigit(b);
  };
  const bank = () => {
    const bik = `0445${digits(2)}${String(50 + int(950)).padStart(3, '0')}`;
    const raw = `40702810${digits(12)}`;
    return {
      bik,
      account: raw.slice(0, 8) + accountKey(raw, bik) + raw.slice(9),
      corr: `301018104${digits(8)}${bik.slice(6)}`,
    };
  };
  const cp = (s: string) => iconv.encode(s, 'win1251');
  const when = new Date('2023-10-01T12:00:00Z');

  const out: Input[] = [];
  for (let i = 0; i < n; i++) {
    const roll = r() * 253;
    const name = pick(forms).replace('%', pick(names));
    if (roll < 53) {
      const bk = bank();
      out.push({
        a: {
          id: i,
          name: cp(name),
          inn: cp(inn10()),
          kpp: cp(`7736${digits(2)}001`),
          ogrn: cp(ogrn()),
          address: cp('117997, г. Москва,\u00A0ул. Вавилова, д. 19'),
          phone: cp(pick(phones)),
          email: cp(pick(emails)),
          bank_bik: cp(bk.bik),
          bank_account: cp(bk.account),
          bank_corr_account: cp(bk.corr),
          bank_name: cp('ПАО СБЕРБАНК'),
          status: r() < 0.02 ? 'deleted' : r() < 0.05 ? 'blocked' : 'active',
          created_at: when,
          updated_at: when,
        },
      });
    } else if (roll < 128) {
      out.push({
        c: {
          id: i,
          company_id: int(53_000),
          full_name: cp(pick(people)),
          position: cp('Менеджер'),
          phone: cp(pick(phones)),
          email: cp(pick(emails)),
          updated_at: when,
        },
      });
    } else {
      const bk = bank();
      const contacts = Array.from({ length: int(10) }, (_, k) => ({
        contactId: `C-${k}`,
        lastName: 'Иванов',
        firstName: 'Иван',
        middleName: 'Иванович',
        position: 'Менеджер по закупкам',
        phones: [pick(phones)],
        emails: [pick(emails)],
      }));
      out.push({
        b: {
          partnerId: String(i).padStart(10, '0'),
          kind: 'ORG',
          name,
          fullName: null,
          taxNumbers: [
            { type: 'INN', value: inn10() },
            { type: 'KPP', value: '773601001' },
            { type: 'OGRN', value: ogrn() },
          ],
          address: 'г. Москва, ул. Вавилова, д. 19',
          phones: [pick(phones)],
          emails: [pick(emails)],
          bankAccounts: [{ bik: bk.bik, account: bk.account, corrAccount: bk.corr, bankName: 'ПАО СБЕРБАНК' }],
          blocked: false,
          changedAt: '2023-10-01T12:00:00Z',
          contacts,
        },
      });
    }
  }
  return out;
}

/**
 * Times the mappers over `records` generated inputs. Inputs are generated and mapped in chunks
 * of 10 000 (generation not timed), as the pulled pipeline holds only its in-flight records:
 * holding all 200 000 dirty inputs at once would measure the old-generation GC, not the mappers.
 */
export function runCoreTransformBench(records = 200_000, seed = 1, chunk = 10_000): CoreTransformResult {
  // Warm-up on a separate sample so the JIT has seen every path before the clock starts.
  for (const x of generate(5_000, seed + 1_000_003)) mapOne(x);
  let accepted = 0;
  let rejected = 0;
  let contacts = 0;
  let ns = 0n;
  for (let done = 0, part = 0; done < records; done += chunk, part++) {
    const inputs = generate(Math.min(chunk, records - done), seed * 7919 + part);
    const t0 = process.hrtime.bigint();
    for (const x of inputs) {
      const o = mapOne(x);
      if (o.ok) {
        accepted++;
        if (o.value.kind === 'company') contacts += o.value.contacts.length;
      } else rejected++;
    }
    ns += process.hrtime.bigint() - t0;
  }
  const ms = Number(ns) / 1e6;
  return {
    bench: 'core-transform',
    records,
    recordsPerSec: Math.round(records / (ms / 1000)),
    ms: Math.round(ms),
    accepted,
    rejected,
    contacts,
  };
}

function mapOne(x: Input) {
  if ('a' in x) return mapShopACompany(x.a);
  if ('c' in x) return mapShopAContact(x.c);
  return mapPartner(x.b);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 200_000);
  const seed = Number(process.argv[3] ?? 1);
  console.log(JSON.stringify(runCoreTransformBench(n, seed)));
}
