import { CrmUnifyError, errorMessage } from '../core/errors.js';
import type { Bitrix24Client, BatchCommand } from '../connectors/bitrix24/rest-client.js';

/** Companies per `crm.company.list` page: an `@ID` filter of 50 ids comes back in one page. */
const PAGE = 50;

/**
 * The company user field that shows register statuses, made once when first needed: listed by
 * name first, added only when missing (docs/bitrix24-api-facts.md §7; a second add of one name is
 * undocumented, so it is never sent). A plain string: the status and the date checked, or empty.
 */
export class StatusField {
  private ready?: Promise<void>;

  constructor(
    private readonly client: Bitrix24Client,
    readonly name: string,
  ) {}

  /** Resolves once the portal has the field; a failure is retried on the next call. */
  ensure(): Promise<void> {
    this.ready ??= this.create().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /**
   * The field's value on these CRM companies, by id: 50 ids per `crm.company.list` (`@ID`
   * filter), the lists sent as one batch (batchSize commands each). A company without the field
   * (or the field not made yet) reads as ''.
   */
  async read(ids: readonly string[], batchSize = 50): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>(ids.map((id) => [id, '']));
    const lists: BatchCommand[] = [];
    for (let i = 0; i < ids.length; i += PAGE) {
      lists.push({
        method: 'crm.company.list',
        params: { filter: { '@ID': ids.slice(i, i + PAGE) }, select: ['ID', this.name] },
      });
    }
    for (let i = 0; i < lists.length; i += batchSize) {
      const cmds = Object.fromEntries(lists.slice(i, i + batchSize).map((c, k) => [`r${k}`, c]));
      const answer = await this.client.batch(cmds);
      for (const key of Object.keys(cmds)) {
        const err = answer.errors[key];
        const rows = answer.result[key];
        if (err || !Array.isArray(rows)) {
          throw new CrmUnifyError(
            'CRM_COMMAND_FAILED',
            `crm.company.list (${this.name}): ${err ? `${err.error} ${err.error_description ?? ''}`.trim() : 'no answer for the command'}`,
          );
        }
        for (const row of rows as Array<Record<string, unknown>>) out.set(String(row.ID), row[this.name] ?? '');
      }
    }
    return out;
  }

  private async create(): Promise<void> {
    const found = await this.client.call<unknown>('crm.company.userfield.list', { filter: { FIELD_NAME: this.name } });
    if (Array.isArray(found) && found.some((d) => (d as { FIELD_NAME?: unknown }).FIELD_NAME === this.name)) return;
    const id = await this.client
      .call<unknown>('crm.company.userfield.add', {
        fields: {
          FIELD_NAME: this.name,
          USER_TYPE_ID: 'string',
          LABEL: 'Статус в ЕГРЮЛ (crm-unify)',
          XML_ID: 'crm-unify-register-status',
          EDIT_IN_LIST: 'N',
          SHOW_FILTER: 'Y',
        },
      })
      .catch((err: unknown) => {
        // only a CRM administrator may add fields: say how to get past it rather than only that it failed
        if (err instanceof CrmUnifyError && !err.retriable) {
          throw new CrmUnifyError(
            err.code,
            `cannot create the company field ${this.name} (${errorMessage(err)}): the webhook's user must be a CRM administrator, ` +
              `or create it by hand (Companies → fields, type string, code ${this.name.slice('UF_CRM_'.length)}) and run again`,
            { cause: err },
          );
        }
        throw err;
      });
    if (!Number.isInteger(Number(id)) || Number(id) <= 0) {
      throw new CrmUnifyError(
        'CRM_COMMAND_FAILED',
        `crm.company.userfield.add ${this.name}: no field id in the answer`,
      );
    }
  }
}
