import { z } from 'zod';
import { parseConfig } from '../../core/config.js';
import { registerSecret } from '../../core/secrets.js';

/**
 * EGRUL look-ups through DaData `findById/party`. Defaults follow the provider's published limit
 * (30 requests/s per IP) and the seed system's 400 ms latency, so 16 in flight keep the rate busy.
 */
export const EgrulConfigSchema = z.object({
  url: z.url().default('https://suggestions.dadata.ru').describe('DaData suggestions origin (the emulator in the sandbox)'),
  token: z.string({ error: 'an API token is required (set DADATA_TOKEN)' }).min(1, 'an API token is required (set DADATA_TOKEN)').describe('DaData API key, sent as `Authorization: Token …`'),
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
});

export type EgrulConfig = Readonly<z.infer<typeof EgrulConfigSchema>>;

/** Parses once at start-up; the token falls back to DADATA_TOKEN and is registered as a secret. */
export function loadEgrulConfig(input: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): EgrulConfig {
  const withToken = input.token === undefined && env.DADATA_TOKEN ? { ...input, token: env.DADATA_TOKEN } : input;
  const config = parseConfig(EgrulConfigSchema, withToken, 'egrul');
  registerSecret(config.token);
  return config;
}
