import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { kafkaLogCreator } from './log.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(c, _e, cb) {
      for (const l of String(c).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}
const flush = () => new Promise((r) => setTimeout(r, 20));

describe('kafkajs logging through pino', () => {
  it('keeps levels and fields, repeats go to debug, connection failures go to debug and to the outage policy', async () => {
    const { lines, logger } = capture();
    let now = 0;
    const seen: unknown[] = [];
    const log = kafkaLogCreator(logger, { now: () => now, onConnectionError: (e) => seen.push(e) })(logLevel.WARN);
    const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) =>
      log({ namespace: 'Consumer', level, label: 'X', log: { timestamp: 't', logger: 'kafkajs', message, ...extra } });
    entry(logLevel.ERROR, 'The group is rebalancing, re-joining', { groupId: 'g' });
    entry(logLevel.ERROR, 'The group is rebalancing, re-joining', { groupId: 'g' });
    now += 60_000;
    entry(logLevel.ERROR, 'The group is rebalancing, re-joining', { groupId: 'g' });
    entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:3398', { broker: '127.0.0.1:3398' });
    entry(logLevel.ERROR, 'Response AddPartitionsToTxn(key: 24, version: 1)', {
      error:
        'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
    });
    entry(logLevel.WARN, 'some warning');
    await flush();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'The group is rebalancing, re-joining'],
      [20, 'The group is rebalancing, re-joining'],
      [50, 'The group is rebalancing, re-joining'],
      [20, 'Connection error: connect ECONNREFUSED 127.0.0.1:3398'],
      [20, 'Response AddPartitionsToTxn(key: 24, version: 1)'],
      [40, 'some warning'],
    ]);
    expect(lines[0]).toMatchObject({
      component: 'kafkajs',
      namespace: 'Consumer',
      groupId: 'g',
      pid: expect.any(Number),
      time: expect.any(Number),
    });
    expect(seen).toHaveLength(1);
    expect((seen[0] as { code?: string }).code).toBe('ECONNREFUSED');
  });
});
