import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { clearSecretsForTests, redactUrl, registerSecret, registerUrlSecrets } from './secrets.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

describe('logger secret redaction', () => {
  afterEach(() => clearSecretsForTests());

  it('masks registered secrets in messages, nested fields and errors', async () => {
    registerUrlSecrets('https://portal.example/rest/7/s3cr3tw3bh00k/');
    registerSecret('dadata-token-123');
    registerUrlSecrets('mysql://app:pa55word@db:3306/shop');
    const { lines, logger } = capture();
    logger.info('calling https://portal.example/rest/7/s3cr3tw3bh00k/batch');
    logger.warn(
      { req: { url: 'https://portal.example/rest/7/s3cr3tw3bh00k/crm.company.add', note: 'Token dadata-token-123' } },
      'retry',
    );
    logger.error({ err: new Error('connect failed for app:pa55word@db') }, 'mysql down');
    logger.info({ token: 'anything', webhookUrl: 'whatever' }, 'config');
    await new Promise((r) => setTimeout(r, 50));
    const out = lines.join('');
    expect(out).not.toContain('s3cr3tw3bh00k');
    expect(out).not.toContain('dadata-token-123');
    expect(out).not.toContain('pa55word');
    expect(out).not.toContain('anything');
    expect(out).toContain('***');
    expect(lines).toHaveLength(4);
  });

  it('redacts webhook secrets and passwords from URLs for display', () => {
    expect(redactUrl('https://p.example/rest/1/abcdef/')).toBe('https://p.example/rest/1/***/');
    expect(redactUrl('mysql://root:pw@127.0.0.1:3306/a')).toBe('mysql://root:***@127.0.0.1:3306/a');
  });
});
