import { validateInn } from '../../identifiers/inn.js';
import type { Bitrix24Client } from './rest-client.js';

/** A company requisite whose INN fails the check digits: never adopted, so a person must fix it. */
export interface InvalidInnRequisite {
  companyId: number;
  requisiteId: number;
  inn: string;
  reason: string;
}

/**
 * Reads every company requisite of the portal, 50 a page in ID order (`>ID`, `start: -1`: the fast
 * enumeration of the docs), and yields those whose INN is missing or invalid. One request per
 * page, so on a standard portal (2 requests/s) 100 000 requisites take about 17 minutes.
 */
export async function* invalidInnRequisites(client: Bitrix24Client): AsyncIterable<InvalidInnRequisite> {
  for (let after = 0; ;) {
    const rows = await client.call<Array<Record<string, unknown>>>('crm.requisite.list', {
      filter: { ENTITY_TYPE_ID: 4, '>ID': after },
      select: ['ID', 'ENTITY_ID', 'RQ_INN'],
      order: { ID: 'ASC' },
      start: -1,
    });
    for (const r of rows) {
      const inn = String(r.RQ_INN ?? '').trim();
      const check = inn ? validateInn(inn) : { valid: false, reason: 'MISSING' };
      if (!check.valid)
        yield {
          companyId: Number(r.ENTITY_ID),
          requisiteId: Number(r.ID),
          inn,
          reason: String(check.reason ?? 'INVALID'),
        };
    }
    if (rows.length < 50) return;
    after = Number(rows[rows.length - 1]!.ID);
  }
}
