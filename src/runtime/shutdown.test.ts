import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { watchShutdown } from './shutdown.js';

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
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watchShutdown', () => {
  it('past the timeout says how many records were left unsettled and calls onTimeout', async () => {
    const { lines, logger } = capture();
    const stop = new AbortController();
    let timedOut = 0;
    const dispose = watchShutdown({
      stop: stop.signal,
      timeoutMs: 30,
      logger,
      inFlight: async () => 7,
      onTimeout: () => {
        timedOut++;
      },
    });
    stop.abort();
    await settle(120);
    dispose();
    expect(timedOut).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual([
      'stopping: draining 7 in-flight records',
      'shutdown timed out after 30 ms: 7 records left unsettled (they are read again on the next start)',
    ]);
    expect(lines[1]).toMatchObject({ level: 50, unsettled: 7 });
  });

  it('does nothing once disposed (the drain finished in time)', async () => {
    const { lines, logger } = capture();
    const stop = new AbortController();
    let timedOut = 0;
    const dispose = watchShutdown({
      stop: stop.signal,
      timeoutMs: 30,
      logger,
      inFlight: async () => 0,
      onTimeout: () => {
        timedOut++;
      },
    });
    stop.abort();
    dispose();
    await settle(120);
    expect(timedOut).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(['stopping: nothing in flight']);
  });
});
