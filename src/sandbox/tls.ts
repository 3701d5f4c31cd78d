/**
 * TLS material for the sandbox: a self-signed certificate for 127.0.0.1 / localhost made at start
 * (the official SDK refuses plain http), or the caller's own cert and key. The certificate is its
 * own CA, so a client trusts it by passing it as `ca` (or via NODE_EXTRA_CA_CERTS).
 */
import { generate } from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** The PEM a client must trust: the certificate itself when self-signed. */
  ca: string;
}

export interface TlsOption {
  cert?: string;
  key?: string;
  /** Extra host names or IPs for the certificate (127.0.0.1, ::1 and localhost are always in). */
  hosts?: string[];
}

const isIp = (h: string): boolean => /^[\d.]+$/.test(h) || h.includes(':');

export async function tlsMaterial(opt: TlsOption = {}): Promise<TlsMaterial> {
  if (opt.cert && opt.key) return { cert: opt.cert, key: opt.key, ca: opt.cert };
  if (opt.cert || opt.key) throw new Error('sandbox TLS: give both cert and key, or neither');
  const hosts = [...new Set(['127.0.0.1', '::1', 'localhost', ...(opt.hosts ?? [])])];
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec', // fast to generate: a test suite makes several
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((h) => (isIp(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })),
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, ca: pems.cert };
}
