/** URL checks shared by the config schemas: safe on input that is not a URL at all. */

/** A loopback host: localhost, 127.0.0.0/8 as a literal IPv4 address, or ::1. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `new URL` without the throw: config refinements run even after the URL rule failed. */
export function tryUrl(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}

/** An inbound webhook path: `/rest/<user>/<secret>/`. */
export function isWebhookPath(u: string): boolean {
  const url = tryUrl(u);
  return url !== undefined && /\/rest\/[^/]+\/[^/]+\/?$/.test(url.pathname);
}

/** Hosts an operator explicitly allows over plain http (e.g. the sandbox in docker compose). */
export function allowedHttpHosts(env: Record<string, string | undefined> = process.env): string[] {
  return (env.CRM_UNIFY_ALLOW_HTTP_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
}

/** https, or plain http to a loopback host or one the operator allows (CRM_UNIFY_ALLOW_HTTP_HOSTS). */
export function isSecureOrLoopback(u: string, extraHttpHosts: readonly string[] = allowedHttpHosts()): boolean {
  const url = tryUrl(u);
  if (!url) return false;
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && (isLoopbackHost(url.hostname) || extraHttpHosts.includes(url.hostname)))
  );
}
