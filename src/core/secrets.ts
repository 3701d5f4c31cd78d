/**
 * Secrets known to the process (webhook secret, register token, database password). Anything
 * written out — logs, errors, rejects, metrics — passes through `scrub`, so a secret that slips
 * into a message (a URL in an error, a driver's connection string) is masked anyway.
 */
const known = new Set<string>();
const MASK = '***';

export function registerSecret(value: string | undefined | null): void {
  // Very short values would mask ordinary words; they are not secrets worth the name.
  if (value && value.length >= 4) known.add(value);
}

/** Registers the secret parts of a URL: password and, for Bitrix24 webhooks, the path secret. */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  try {
    const u = new URL(url);
    if (u.password) {
      registerSecret(u.password);
      registerSecret(decodeURIComponent(u.password));
    }
    const hook = /\/rest\/[^/]+\/([^/]+)/.exec(u.pathname);
    if (hook?.[1]) registerSecret(hook[1]);
  } catch {
    // not a URL: nothing to register
  }
}

export function scrub(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** Deep-scrubs strings inside a plain value (log objects, reject details). */
export function scrubValue<T>(value: T): T {
  if (known.size === 0) return value;
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map(scrubValue) as T;
  if (value instanceof Error)
    return { type: value.name, message: scrub(value.message), code: (value as { code?: unknown }).code } as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v);
    return out as T;
  }
  return value;
}

/** A URL safe to show: password and webhook secret replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = MASK;
    u.pathname = u.pathname.replace(/(\/rest\/[^/]+\/)[^/]+/, `$1${MASK}`);
    return u.toString();
  } catch {
    return scrub(url);
  }
}

export function clearSecretsForTests(): void {
  known.clear();
}
