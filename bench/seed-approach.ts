/**
 * Measure 6: the seed system's approach, on the same kind of data and the same sandbox, for the
 * side-by-side of DESIGN §10 — one source record at a time, one register request per company
 * record (no cache), no batch: one REST call per entity (crm.company.add, crm.requisite.add,
 * crm.requisite.bankdetail.add per account, crm.contact.add per contact), through the project's
 * REST client (`Bitrix24Client.call`, whose leaky bucket keeps it under the portal's limit) and
 * DaData client. Cleaning and validation reuse our mappers (the seed also rejected invalid INNs
 * before any external call), so only the delivery strategy differs. No dedup beyond that: each
 * company record is a company in the CRM, as in the seed system.
 *
 * It runs on a smaller subset of the same generator (default 0.002 of the seed scale, every
 * proportion kept) with the same sandbox rates as the end-to-end measure; the speed-up
 * extrapolates its time linearly to the end-to-end subset (it is strictly sequential and
 * cache-free, so its time is proportional to the number of records) and divides by our measured
 * end-to-end time there.
 */
import { pathToFileURL } from 'node:url';
import { Bitrix24Client } from '../src/connectors/bitrix24/rest-client.js';
import { Bitrix24ConfigSchema } from '../src/connectors/bitrix24/config.js';
import { EgrulConfigSchema } from '../src/connectors/egrul/config.js';
import { DadataClient } from '../src/connectors/egrul/dadata-client.js';
import { toRegistryStatus } from '../src/connectors/egrul/status.js';
import { resolvePresets } from '../src/connectors/bitrix24/presets.js';
import { parseConfig } from '../src/core/config.js';
import { generate, scaleFraction, type Dataset } from '../src/gen/dataset.js';
import type { Company, Contact } from '../src/model/index.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { mapShopARow, mapShopBDumpElement, mapShopBMessage } from '../topologies/mappers.js';
import { e2eRates, sourceRecordCount } from './e2e.bench.js';

export interface SeedApproachFigures {
  fraction: number;
  sourceRecords: number;
  seconds: number;
  recordsPerSec: number;
  registryRequests: number;
  crmRequests: number;
  crm503: number;
  companiesCreated: number;
  contactsCreated: number;
}

const phoneRows = (phones: Company['phones']) =>
  phones.map((p) => ({ VALUE: p.ext ? `${p.e164} доб. ${p.ext}` : p.e164, VALUE_TYPE: 'WORK' }));
const emailRows = (emails: string[]) => emails.map((e) => ({ VALUE: e, VALUE_TYPE: 'WORK' }));

/** Runs the seed approach over `ds` against a fresh sandbox with the end-to-end rates. */
export async function runSeedApproach(ds: Dataset, fraction: number): Promise<SeedApproachFigures> {
  const r = e2eRates;
  const sb = await startSandbox({
    registry: ds.registry,
    rate: r.portal.rate,
    burst: r.portal.burst,
    egrulLatencyMs: r.registry.latencyMs,
    egrulRateLimit: r.registry.rate * 2,
  });
  const crm = new Bitrix24Client(
    parseConfig(Bitrix24ConfigSchema, {
      webhookUrl: sb.webhookUrl,
      rate: r.portal.rate,
      burst: r.portal.burst,
      concurrency: 1,
    }),
  );
  const dadata = new DadataClient(
    parseConfig(EgrulConfigSchema, { url: sb.egrulUrl, token: sb.egrulToken, rate: r.registry.rate, concurrency: 1 }),
  );
  try {
    const presets = await resolvePresets(crm);
    sb.portal.resetCounters();
    sb.egrul.resetCounters();
    const shopACompanyCrmId = new Map<string, number>(); // the seed's own id map for Shop A's contact rows
    let companiesCreated = 0;
    let contactsCreated = 0;
    const addContact = async (c: Contact, companyId: number | undefined) => {
      await crm.call('crm.contact.add', {
        fields: {
          LAST_NAME: c.lastName,
          NAME: c.firstName,
          SECOND_NAME: c.middleName,
          POST: c.position,
          ...(companyId ? { COMPANY_ID: companyId } : {}),
          PHONE: phoneRows(c.phones),
          EMAIL: emailRows(c.emails),
        },
      });
      contactsCreated++;
    };
    const addCompany = async (co: Company, contacts: readonly Contact[]) => {
      const status = toRegistryStatus(co.requisite.inn, await dadata.findParty(co.requisite.inn)).status;
      if (status !== 'ACTIVE' && status !== 'REORGANIZING') return;
      const id = await crm.call<number>('crm.company.add', {
        fields: { TITLE: co.name, ADDRESS: co.address, PHONE: phoneRows(co.phones), EMAIL: emailRows(co.emails) },
      });
      companiesCreated++;
      if (co.source === 'shop-a') shopACompanyCrmId.set(co.sourceId, Number(id));
      const rq = co.requisite;
      const requisiteId = await crm.call<number>('crm.requisite.add', {
        fields: {
          ENTITY_TYPE_ID: 4,
          ENTITY_ID: id,
          PRESET_ID: presets[co.kind],
          NAME: rq.name ?? co.name,
          RQ_INN: rq.inn,
          RQ_KPP: rq.kpp,
          RQ_OGRN: rq.ogrn,
          RQ_OGRNIP: rq.ogrnip,
        },
      });
      for (const b of co.bankAccounts) {
        await crm.call('crm.requisite.bankdetail.add', {
          fields: {
            ENTITY_ID: requisiteId,
            NAME: b.bankName ?? b.account,
            RQ_BIK: b.bik,
            RQ_ACC_NUM: b.account,
            RQ_COR_ACC_NUM: b.corrAccount,
          },
        });
      }
      for (const c of contacts) await addContact(c, Number(id));
    };
    const records: Array<() => ReturnType<typeof mapShopARow>> = [
      ...ds.shopA.companies.map(
        (row) => () => mapShopARow({ table: 'companies', row: row as unknown as Record<string, unknown> }),
      ),
      ...ds.shopA.contacts.map(
        (row) => () => mapShopARow({ table: 'contacts', row: row as unknown as Record<string, unknown> }),
      ),
      ...ds.shopB.dump.map(
        (value, index) => () => mapShopBDumpElement({ index, value } as Parameters<typeof mapShopBDumpElement>[0]),
      ),
      ...ds.shopB.events.map((e) => () => mapShopBMessage({ value: Buffer.from(e.value), tombstone: false })),
    ];
    const started = performance.now();
    for (const read of records) {
      const out = read();
      if (!out.ok) continue;
      const change = out.value;
      if (change.kind === 'company') await addCompany(change.company, change.contacts);
      else if (change.kind === 'contact') {
        const companyId = change.contact.company ? shopACompanyCrmId.get(change.contact.company.sourceId) : undefined;
        if (companyId) await addContact(change.contact, companyId);
      }
      // deletes: the seed system did not propagate them
    }
    const seconds = (performance.now() - started) / 1000;
    const sourceRecords = sourceRecordCount(ds);
    return {
      fraction,
      sourceRecords,
      seconds,
      recordsPerSec: sourceRecords / seconds,
      registryRequests: sb.egrul.counters.requests,
      crmRequests: sb.portal.counters.requests,
      crm503: sb.portal.counters.queryLimitExceeded,
      companiesCreated,
      contactsCreated,
    };
  } finally {
    await crm.close();
    await sb.stop();
  }
}

export async function benchSeedApproach(opts: { fraction?: number; seed?: number } = {}): Promise<SeedApproachFigures> {
  const fraction = opts.fraction ?? 0.002;
  return runSeedApproach(generate(scaleFraction(fraction), opts.seed ?? 1), fraction);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fraction = process.env.SEED_FRACTION ? Number(process.env.SEED_FRACTION) : undefined;
  console.log(
    JSON.stringify({
      bench: 'seed-approach',
      ...(await benchSeedApproach(fraction === undefined ? {} : { fraction })),
    }),
  );
}
