import { describe, expect, it } from 'vitest';
import { Portal } from '../sandbox/bitrix24/portal.js';
import { seedPortal } from '../sandbox/bitrix24/crm-seed.js';
import type { CrmSeed } from '../sandbox/bitrix24/crm-seed.schema.js';
import { adoptionReport, snapshotSeed } from './adoption-report.js';
import type { SeedRole } from './crm-seed.js';

const seed: CrmSeed = {
  companies: [
    {
      title: 'Ромашка',
      comments: 'Предоплата',
      assignedById: 12,
      requisites: [{ inn: '7707083893' }],
      contacts: [{ name: 'Иван', emails: ['ivan@romashka.ru'], phones: ['+7 916 123-45-67'] }],
    },
    {
      title: 'Вектор',
      comments: 'ЛПР — директор',
      requisites: [{ inn: '7736207543' }],
      contacts: [{ name: 'Анна', phones: ['+7 903 000-00-01'] }],
    },
    { title: 'Ромашка (2)', requisites: [{ inn: '7707083893' }] },
    { title: 'Опечатка', requisites: [{ inn: '7707083894' }] },
  ],
};
const roles: SeedRole[] = [
  { role: 'adoptable', inn: '7707083893', personId: 1 },
  { role: 'adoptable', inn: '7736207543', personId: 2 },
  { role: 'twin', inn: '7707083893' },
  { role: 'invalidInn', inn: '7707083894', trueInn: '7707083893' },
];

async function seeded() {
  const portal = new Portal({ rate: Infinity, burst: Infinity });
  const result = seedPortal(portal.store, seed, { webhookUser: portal.webhookUser });
  const snap = snapshotSeed(portal.store, result, roles);
  const call = async (method: string, params: Record<string, unknown>) => {
    const a = await portal.handle({ user: portal.webhookUser, secret: portal.webhookSecret, method, params });
    if (a.status !== 200) throw new Error(JSON.stringify(a.body));
    return (a.body as { result: unknown }).result;
  };
  return { portal, result, snap, call };
}

describe('adoptionReport', () => {
  it('finds nothing wrong right after seeding (the seeded twin is not counted)', async () => {
    const { portal, snap } = await seeded();
    expect(adoptionReport(snap, portal.store)).toEqual({
      seeded: { companies: 4, contacts: 2, twins: 1, invalidInn: 1 },
      kept: { companies: 4, contacts: 2 },
      linked: { companies: 0, contacts: 0 },
      innsWithTwins: 0,
      personTwins: 0,
      changed: { comments: 0, owners: 0 },
    });
  });

  it('counts what a run that ignores the CRM leaves: a second company per INN, a second contact per person', async () => {
    const { portal, snap, call } = await seeded();
    for (const [inn, email] of [
      ['7707083893', 'ivan@romashka.ru'],
      ['7736207543', undefined],
    ] as const) {
      const co = await call('crm.company.add', {
        fields: { TITLE: 'new', ORIGINATOR_ID: 'crm-unify', ORIGIN_ID: `g-${inn}` },
      });
      await call('crm.requisite.add', {
        fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: co, PRESET_ID: 1, NAME: 'x', RQ_INN: inn },
      });
      await call('crm.contact.add', {
        fields: {
          NAME: 'Иван',
          COMPANY_ID: co,
          ...(email ? { EMAIL: [{ VALUE: email.toUpperCase() }] } : { PHONE: [{ VALUE: '+79030000001' }] }),
        },
      });
    }
    // and overwrites a comment and an owner
    await call('crm.company.update', { id: snap.companies[1]!.id, fields: { COMMENTS: '', ASSIGNED_BY_ID: 1 } });
    expect(adoptionReport(snap, portal.store)).toMatchObject({
      kept: { companies: 4, contacts: 2 },
      linked: { companies: 0, contacts: 0 },
      innsWithTwins: 2,
      personTwins: 2,
      changed: { comments: 1, owners: 1 },
    });
  });

  it('counts a run that adopts: same ids, linked, comments and owners kept, no twins', async () => {
    const { portal, snap, result, call } = await seeded();
    for (const c of result.companies.slice(0, 2)) {
      await call('crm.company.update', {
        id: c.id,
        fields: { ORIGINATOR_ID: 'crm-unify', ORIGIN_ID: `g-${c.id}`, PHONE: [{ VALUE: '+74955005550' }] },
      });
      await call('crm.contact.update', {
        id: c.contactIds[0],
        fields: { ORIGINATOR_ID: 'crm-unify', ORIGIN_ID: `p-${c.id}`, SECOND_NAME: 'Петрович' },
      });
    }
    portal.editAsPerson('company', result.companies[3]!.id, { TITLE: 'Опечатка, ООО' }); // people keep working meanwhile
    expect(adoptionReport(snap, portal.store)).toMatchObject({
      kept: { companies: 4, contacts: 2 },
      linked: { companies: 2, contacts: 2 },
      innsWithTwins: 0,
      personTwins: 0,
      changed: { comments: 0, owners: 0 },
    });
    await call('crm.company.delete', { id: result.companies[0]!.id });
    expect(adoptionReport(snap, portal.store).kept).toEqual({ companies: 3, contacts: 2 }); // the contact stays, unlinked
  });
});
