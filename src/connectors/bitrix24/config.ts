import { z } from 'zod';
import { parseConfig } from '../../core/config.js';
import { registerUrlSecrets } from '../../core/secrets.js';
import { isSecureOrLoopback, isWebhookPath } from '../../core/urls.js';

/**
 * Bitrix24 inbound webhook and the client's limits. Defaults are the portal's own
 * (docs/bitrix24-rest.md §3: 2 requests/s drained, 50 in the bucket, 50 commands per batch) so
 * QUERY_LIMIT_EXCEEDED stays rare.
 */
export const Bitrix24ConfigSchema = z.object({
  webhookUrl: z
    .url({ error: 'a webhook URL is required (set BITRIX24_WEBHOOK_URL)' })
    .refine(isWebhookPath, 'expected https://<portal>/rest/<user>/<secret>/')
    // The portal refuses plain HTTP ("Https required") and the secret would cross the wire in clear.
    .refine(
      (u) => isSecureOrLoopback(u),
      'must use https:// (plain http:// is allowed only for a loopback host or one listed in CRM_UNIFY_ALLOW_HTTP_HOSTS)',
    )
    .transform((u) => (u.endsWith('/') ? u : `${u}/`)),
  rate: z.number().positive().default(2).describe('portal drain rate, requests/s'),
  burst: z.number().int().positive().default(50).describe('portal bucket size, requests'),
  /** Kept free in the bucket: requests reach the portal with jitter, and other clients may share the IP. */
  headroom: z.number().int().nonnegative().default(2),
  batchSize: z
    .number()
    .int()
    .min(3)
    .max(50)
    .default(50)
    .describe(
      'commands per batch (portal maximum 50; at least 3: a company, its requisite and bank detail go in one batch)',
    ),
  concurrency: z.number().int().min(1).default(2).describe('HTTP requests in flight'),
  mergeBatches: z
    .boolean()
    .default(true)
    .describe('while requests queue for the portal, part-empty batches share one request'),
  timeoutMs: z.number().int().positive().default(30_000),
  /** Unset means unlimited: an outage holds records instead of failing them. */
  retries: z.number().int().nonnegative().optional(),
  retryBaseMs: z.number().int().positive().default(1_000),
  retryMaxMs: z.number().int().positive().default(60_000),
  /** Wait after OPERATION_TIME_LIMIT when the portal gave no operating_reset_at (JSSDK waits ≥ 10 s). */
  operationLimitWaitMs: z.number().int().positive().default(10_000),
  /**
   * Server seconds one method may spend per 10 minutes before the portal answers 429
   * (docs/bitrix24-rest.md §3: 480 s in the 2024 docs and the JSSDK; the 2026 docs leave it to the
   * portal's configuration).
   */
  operatingLimitSec: z.number().positive().default(480),
  /** Kept free under operatingLimitSec: the learned cost per command is an average (the JSSDK keeps 5 s). */
  operatingHeadroomSec: z.number().nonnegative().default(10),
  /** Hold requests back by the `time.operating` the portal reports, so OPERATION_TIME_LIMIT stays rare. */
  operatingPacing: z.boolean().default(true),
  originatorId: z.string().min(1).default('crm-unify'),
  /** What happens to the CRM contact that a merge made redundant. */
  mergedContacts: z.enum(['delete', 'mark']).default('delete'),
  /** Requisite preset ids; resolved from crm.requisite.preset.list when absent. */
  presetIds: z.object({ ORG: z.number().int().positive(), IE: z.number().int().positive() }).optional(),
  /**
   * After a write timed out (no answer at all), how long the portal may still be running it: the
   * look-ups that decide whether to re-create wait this long. The cloud portal interrupts a request
   * after 60 s (docs/bitrix24-rest.md §2; the docs' limits.md, "Request Execution Time Limit").
   */
  unansweredSettleMs: z.number().int().nonnegative().default(60_000),
  /** Rounds of batches per load() before an unsettled company is handed back as retriable. */
  maxRounds: z.number().int().min(2).default(12),
  /**
   * Create companies and contacts with `crm.item.batchImport` (20 per command) instead of one
   * `crm.*.add` each. Robots and business processes do not start for imported items; turn this
   * off if the portal relies on them. A portal without the method falls back by itself.
   */
  bulkImport: z.boolean().default(true),
  /**
   * A company is delivered once no record has touched it for this long, so a burst of changes
   * (a company, then its contacts; the other store's copy) costs one delivery. Records and their
   * source positions wait for it, so it is also the least delay before an ack.
   */
  settleMs: z.number().int().nonnegative().default(2000),
  /**
   * Before creating a company, look for CRM companies whose requisite holds its INN and adopt the
   * oldest (with the contacts people entered that match), instead of making a twin.
   */
  adopt: z.boolean().default(true),
  /** A managed field a person changed in the CRM since the last write: keep their value, or overwrite it. */
  conflicts: z.enum(['keep-crm', 'overwrite']).default('keep-crm'),
  /**
   * The company user field that shows a register status other than active (`LIQUIDATED
   * 2026-12-01`): created by crm-unify the first time it must write one. The portal names every
   * company field `UF_CRM_…` (docs/bitrix24-api-facts.md §7), so only such names are accepted.
   */
  registerStatusField: z
    .string()
    .regex(
      /^UF_CRM_[A-Z0-9_]{1,43}$/,
      "expected UF_CRM_ and up to 43 of A-Z, 0-9 and _ (the portal's rule for company fields)",
    )
    .default('UF_CRM_REGISTER_STATUS')
    .describe(
      'company user field for register statuses (liquidated, bankrupt…): set with the status and date checked, cleared when active again',
    ),
});

export type Bitrix24Config = Readonly<z.infer<typeof Bitrix24ConfigSchema>>;

/** Parses once at start-up; the URL falls back to BITRIX24_WEBHOOK_URL and its secret is registered. */
export function loadBitrix24Config(
  input: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
): Bitrix24Config {
  const url = input.webhookUrl ?? env.BITRIX24_WEBHOOK_URL;
  // Register before validating, so even a config error that quotes the URL cannot leak the secret.
  if (typeof url === 'string') registerUrlSecrets(url);
  return parseConfig(Bitrix24ConfigSchema, { ...input, webhookUrl: url }, 'bitrix24');
}
