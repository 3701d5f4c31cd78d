import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../sandbox.js';
import { parseCrmSeed, type CrmSeed, type CrmSeedResult } from './index.js';
import { ok, testPortal } from './test-helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'crm-seed-'));
  dirs.push(d);
  return d;
}

const seed: CrmSeed = {
  companies: [
    {
      title: 'Ромашка',
      comments: 'Платят с опозданием',
      assignedById: 12,
      phones: ['+7 495 500-55-50'],
      emails: ['info@romashka.ru'],
      requisites: [
        {
          inn: '7707083893',
          kpp: '773601001',
          ogrn: '1027700132195',
          bankDetails: [
            {
              bik: '044525225',
              account: '40702810938000000001',
              corrAccount: '30101810400000000225',
              bankName: 'ПАО СБЕРБАНК',
            },
          ],
        },
      ],
      contacts: [
        {
          name: 'Иван',
          lastName: 'Иванов',
          post: 'Закупки',
          emails: ['ivanov@romashka.ru'],
          phones: ['+7 916 123-45-67'],
          comments: 'Звонить после обеда',
        },
      ],
    },
    {
      title: 'ИП Петров',
      requisites: [{ inn: '500100732259', ogrn: '304500116000157' }],
      contacts: [{ name: 'Пётр' }],
    },
    { title: 'Ромашка (дубль)', requisites: [{ inn: '7707083893' }] },
  ],
};

const seeded = (r: unknown): CrmSeedResult => {
  if (!r || typeof r !== 'object' || !('counts' in r)) throw new Error(`not seeded: ${JSON.stringify(r)}`);
  return r as CrmSeedResult;
};

describe('CRM seed file format', () => {
  it('names every bad path at once', () => {
    const bad = {
      companies: [
        { title: '', requisites: [{ inn: '77070838' }], contacts: [{ post: 'x', emails: ['not-mail'] }], color: 'red' },
      ],
    };
    const message = (() => {
      try {
        parseCrmSeed(bad);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toContain('companies[0].title:');
    expect(message).toContain('companies[0].requisites[0].inn: an INN has 10 digits');
    expect(message).toContain('companies[0].contacts[0].emails[0]: not an e-mail address');
    expect(message).toContain('companies[0].contacts[0].name: a contact needs name or lastName');
    expect(message).toMatch(/companies\[0\]: .*color/);
    expect(() => parseCrmSeed({ companies: [{ title: 'x', dateCreate: '2999-01-01T00:00:00+03:00' }] })).toThrow(
      /dateCreate: must not be in the future/,
    );
  });

  it('refuses a file that is not JSON, naming the file', async () => {
    const file = join(await tempDir(), 'seed.json');
    await writeFile(file, '{"companies": [');
    await expect(startSandbox({ crmSeed: file })).rejects.toThrow(
      new RegExp(`CRM seed ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});

describe('a seeded portal', () => {
  it('holds records that look entered by a person, in the order of the file', async () => {
    const srv = await testPortal({ crmSeed: seed });
    try {
      const r = seeded(srv.crmSeed);
      expect(r.counts).toEqual({ companies: 3, requisites: 3, bankDetails: 1, contacts: 2 });
      const [romashka, ip, twin] = r.companies.map((c) => c.id) as [number, number, number];
      const co = await ok<Record<string, unknown>>(srv.webhookUrl, 'crm.company.get', { id: romashka });
      expect(co).toMatchObject({
        TITLE: 'Ромашка',
        COMMENTS: 'Платят с опозданием',
        ASSIGNED_BY_ID: '12',
        CREATED_BY_ID: '7',
        MODIFY_BY_ID: '7',
        ORIGINATOR_ID: null,
        ORIGIN_ID: null,
        PHONE: [{ VALUE: '+7 495 500-55-50' }],
        EMAIL: [{ VALUE: 'info@romashka.ru' }],
      });
      const companies = await ok<Array<Record<string, string>>>(srv.webhookUrl, 'crm.company.list', {
        order: { ID: 'ASC' },
        select: ['ID', 'DATE_CREATE', 'DATE_MODIFY'],
      });
      const created = companies.map((c) => Date.parse(c.DATE_CREATE!));
      expect(created[0]).toBeLessThan(created[1]!);
      expect(created[1]).toBeLessThan(created[2]!); // the twin is the younger one
      expect(created[2]).toBeLessThan(Date.now());
      expect(companies[0]!.DATE_MODIFY).toBe(companies[0]!.DATE_CREATE);

      const rqs = await ok<Array<Record<string, string | null>>>(srv.webhookUrl, 'crm.requisite.list', {
        order: { ID: 'ASC' },
      });
      expect(rqs.map((q) => [q.ENTITY_TYPE_ID, q.ENTITY_ID, q.PRESET_ID, q.RQ_INN])).toEqual([
        ['4', String(romashka), '1', '7707083893'],
        ['4', String(ip), '2', '500100732259'],
        ['4', String(twin), '1', '7707083893'],
      ]);
      expect(rqs[0]).toMatchObject({
        RQ_KPP: '773601001',
        RQ_OGRN: '1027700132195',
        XML_ID: null,
        ORIGINATOR_ID: null,
        CREATED_BY_ID: '7',
      });
      expect(rqs[1]).toMatchObject({ RQ_OGRNIP: '304500116000157', RQ_OGRN: null });
      const bd = await ok<Array<Record<string, string | null>>>(srv.webhookUrl, 'crm.requisite.bankdetail.list', {});
      expect(bd).toEqual([
        expect.objectContaining({
          ENTITY_ID: String(r.companies[0]!.requisiteIds[0]),
          RQ_BIK: '044525225',
          RQ_ACC_NUM: '40702810938000000001',
          XML_ID: null,
        }),
      ]);

      const contacts = await ok<Array<Record<string, unknown>>>(srv.webhookUrl, 'crm.contact.list', {
        order: { ID: 'ASC' },
        select: ['ID', 'COMPANY_ID', 'NAME', 'LAST_NAME', 'COMMENTS', 'CREATED_BY_ID', 'ORIGIN_ID', 'PHONE', 'EMAIL'],
      });
      expect(contacts).toEqual([
        expect.objectContaining({
          COMPANY_ID: String(romashka),
          NAME: 'Иван',
          LAST_NAME: 'Иванов',
          COMMENTS: 'Звонить после обеда',
          CREATED_BY_ID: '7',
          ORIGIN_ID: null,
          PHONE: [expect.objectContaining({ VALUE: '+7 916 123-45-67' })],
          EMAIL: [expect.objectContaining({ VALUE: 'ivanov@romashka.ru' })],
        }),
        expect.objectContaining({ COMPANY_ID: String(ip), NAME: 'Пётр', LAST_NAME: null }),
      ]);
      // the webhook's own writes still carry its user
      const mine = await ok<number>(srv.webhookUrl, 'crm.company.add', { fields: { TITLE: 'Новая' } });
      expect(await ok(srv.webhookUrl, 'crm.company.get', { id: mine })).toMatchObject({ CREATED_BY_ID: '1' });
    } finally {
      await srv.stop();
    }
  });

  it('never seeds records as the webhook user', async () => {
    await expect(
      testPortal({ crmSeed: { companies: [{ title: 'x', createdById: 3 }] }, webhookUser: '3' }),
    ).rejects.toThrow(/companies\[0\] would be created by user 3/);
  });

  it('with --data, seeds an empty portal once and keeps later changes across restarts', async () => {
    const dir = await tempDir();
    const data = join(dir, 'portal.json');
    const file = join(dir, 'seed.json');
    await writeFile(file, JSON.stringify(seed));
    const a = await startSandbox({ crmSeed: file, data, rate: Infinity, burst: Infinity });
    expect(seeded(a.crmSeed).counts.companies).toBe(3);
    a.portal.editAsPerson('company', 1, { TITLE: 'Ромашка ООО' });
    await a.stop();
    expect(JSON.parse(await readFile(data, 'utf8'))).toMatchObject({ seq: { company: 3, contact: 2 } });

    const b = await startSandbox({ crmSeed: file, data, rate: Infinity, burst: Infinity });
    try {
      expect(b.crmSeed).toEqual({ skipped: 'the portal already holds 9 records (from --data)' });
      expect(b.portal.store.counts()).toEqual({ company: 3, contact: 2, requisite: 3, bankdetail: 1 });
      expect(b.portal.store.get('company', 1)?.fields.TITLE).toBe('Ромашка ООО');
    } finally {
      await b.stop();
    }
  });
});
