import { z } from 'zod';

/** Loopback hosts may use plain http (the sandbox); anything else must be https. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Hosts an operator explicitly allows over plain http (e.g. the sandbox in docker compose). */
function httpAllowed(host: string): boolean {
  const allowed = (process.env.CRM_UNIFY_ALLOW_HTTP_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return isLoopbackHost(host) || allowed.includes(host);
}

const httpsUnlessLoopback = (what: string) =>
  z.string().url().refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && httpAllowed(url.hostname));
  }, { message: `${what} must be https:// (plain http:// is accepted only for a loopback host or one listed in CRM_UNIFY_ALLOW_HTTP_HOSTS)` });

export const CrmConfig = z.object({
  webhookUrl: httpsUnlessLoopback('the Bitrix24 webhook URL')
    .refine((u) => /\/rest\/[^/]+\/[^/]+\/?$/.test(new URL(u).pathname), { message: 'expected an inbound webhook URL like https://portal/rest/<user>/<secret>/' })
    .describe('Inbound webhook URL; secret, so better given as BITRIX24_WEBHOOK_URL'),
  rate: z.number().positive().default(2).describe('Requests per second the client allows itself (portal leaky bucket)'),
  burst: z.number().int().positive().default(50).describe('Burst size of the client-side bucket'),
  batchSize: z.number().int().min(1).max(50).default(50),
  timeoutMs: z.number().int().positive().default(30_000),
});

export const RegistryConfig = z.object({
  url: httpsUnlessLoopback('the register (DaData) URL').default('https://suggestions.dadata.ru'),
  token: z.string().min(1).describe('DaData API token; better given as DADATA_TOKEN'),
  concurrency: z.number().int().positive().default(16),
  rate: z.number().positive().default(30).describe('Requests per second'),
  cacheTtlDays: z.number().positive().default(30),
  timeoutMs: z.number().int().positive().default(10_000),
});

export const ShopAConfig = z.object({
  mysql: z.string().regex(/^mysql:\/\//, 'expected a mysql:// URL').describe('Replica URL; better given as SHOP_A_MYSQL_URL'),
  pollIntervalMs: z.number().int().positive().default(5000),
  lookbackSeconds: z.number().int().min(0).default(30),
  pageSize: z.number().int().positive().max(50_000).default(1000),
});

export const ShopBConfig = z.object({
  dump: z.object({
    path: z.string().min(1),
    encoding: z.enum(['windows-1251', 'utf-8']).default('windows-1251'),
  }).optional(),
  kafka: z.object({
    brokers: z.array(z.string().min(1)).min(1),
    topic: z.string().min(1).default('shop-b.crm.partners'),
    groupId: z.string().min(1).default('crm-unify-shop-b'),
  }).optional(),
});

export const AppConfig = z.object({
  state: z.object({ dir: z.string().min(1).default('var/state') }).default({ dir: 'var/state' }),
  metrics: z.object({
    port: z.number().int().min(0).max(65535).default(9464),
    host: z.string().default('127.0.0.1'),
  }).default({ port: 9464, host: '127.0.0.1' }),
  crm: CrmConfig,
  registry: RegistryConfig,
  runtime: z.object({
    maxInFlight: z.number().int().positive().default(2000),
    shutdownTimeoutMs: z.number().int().positive().default(30_000),
  }).default({ maxInFlight: 2000, shutdownTimeoutMs: 30_000 }),
  sources: z.object({
    shopA: ShopAConfig.optional(),
    shopB: ShopBConfig.optional(),
  }).default({}),
});

export type AppConfig = z.infer<typeof AppConfig>;
