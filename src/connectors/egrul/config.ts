import { z } from 'zod';
import { parseConfig } from '../../core/config.js';
import { registerSecret } from '../../core/secrets.js';

/**
 * The service's background re-check (issue 19): loaded companies whose register answer is older
 * than `cacheTtlDays`, and companies rejected as not found, on a back-off. Only in continuous runs.
 */
export const SweepConfigSchema = z.object({
  enabled: z
    .boolean()
    .default(true)
    .describe('re-check companies in the background while the service runs (never in --once runs)'),
  share: z
    .number()
    .gt(0)
    .max(1)
    .default(0.2)
    .describe('at most this share of `rate` goes to the sweep; the rest stays for new records'),
  batch: z
    .number()
    .int()
    .positive()
    .max(200)
    .default(25)
    .describe('companies re-checked, stored and marked together; a stop waits for the current batch'),
  idleMinutes: z.number().positive().default(60).describe('wait between sweeps once nothing is due'),
  notFoundBackoffDays: z
    .array(z.number().positive())
    .min(1)
    .default([1, 3, 7, 14])
    .refine((d) => d.every((v, i) => i === 0 || v > d[i - 1]!), 'days must grow')
    .describe('an EGRUL_NOT_FOUND reject is checked again this many days after it was recorded, then no more'),
});

/**
 * EGRUL look-ups through DaData `findById/party`. Defaults follow the provider's published limit
 * (30 requests/s per IP) and the seed system's 400 ms latency, so 16 in flight keep the rate busy.
 */
export const EgrulConfigSchema = z.object({
  url: z
    .url()
    .default('https://suggestions.dadata.ru')
    .describe('DaData suggestions origin (the emulator in the sandbox)'),
  token: z
    .string({ error: 'an API token is required (set DADATA_TOKEN)' })
    .min(1, 'an API token is required (set DADATA_TOKEN)')
    .describe('DaData API key, sent as `Authorization: Token …`'),
  concurrency: z.number().int().positive().default(16).describe('register requests in flight'),
  rate: z.number().positive().default(30).describe('register requests per second (token bucket, shared by all calls)'),
  burst: z.number().positive().optional().describe('token bucket capacity; defaults to one second of rate'),
  timeoutMs: z.number().int().positive().default(10_000).describe('per-request timeout'),
  /** Unset means unlimited: an outage holds records (backpressure) instead of rejecting them. */
  retries: z.number().int().nonnegative().optional().describe('retries per look-up; unset = until it succeeds'),
  retryBaseMs: z.number().int().positive().default(500),
  retryMaxMs: z.number().int().positive().default(30_000),
  cacheTtlDays: z.number().positive().default(30).describe('how long a found status is trusted'),
  notFoundTtlHours: z.number().positive().default(24).describe('how long "not in the register" is trusted'),
  sweep: SweepConfigSchema.default(SweepConfigSchema.parse({})),
});

export type EgrulConfig = Readonly<z.infer<typeof EgrulConfigSchema>>;

/** Parses once at start-up; the token falls back to DADATA_TOKEN and is registered as a secret. */
export function loadEgrulConfig(
  input: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
): EgrulConfig {
  const withToken = input.token === undefined && env.DADATA_TOKEN ? { ...input, token: env.DADATA_TOKEN } : input;
  const config = parseConfig(EgrulConfigSchema, withToken, 'egrul');
  registerSecret(config.token);
  return config;
}
