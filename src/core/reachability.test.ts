import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CrmUnifyError } from './errors.js';
import { createLogger } from './logger.js';
import { errorCode, Reachability, type ConnectPolicy, type ReachState } from './reachability.js';

function harness(over: Partial<ConnectPolicy> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const states: Array<[ReachState, string | undefined]> = [];
  const policy: ConnectPolicy = {
    baseMs: 1,
    maxMs: 5,
    logEveryMs: 60_000,
    logger: createLogger({ destination, level: 'debug' }),
    status: { set: (_c, s, d) => states.push([s, d]) },
    ...over,
  };
  const reach = new Reachability(
    {
      component: 'source:shop-a.full',
      endpoint: 'mysql://root@127.0.0.1:3399/shop',
      setBy: 'sources.shopA.mysql (or SHOP_A_MYSQL_URL)',
    },
    policy,
  );
  return { reach, lines, states };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3399'), { code: 'ECONNREFUSED' });
const flush = () => new Promise((r) => setTimeout(r, 20));

describe('Reachability', () => {
  it('waits out an outage, logs one warn line for many failures and one line on recovery', async () => {
    const { reach, lines, states } = harness();
    let calls = 0;
    const value = await reach.attempt(
      async () => {
        if (++calls <= 5) throw refused();
        return 'ok';
      },
      () => true,
    );
    await flush();
    expect(value).toBe('ok');
    expect(states.map(([s]) => s)).toEqual([
      'connecting',
      'backing-off',
      'backing-off',
      'backing-off',
      'backing-off',
      'backing-off',
      'running',
    ]);
    expect(states[1]?.[1]).toBe('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:3399');
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({
      component: 'source:shop-a.full',
      endpoint: 'mysql://root@127.0.0.1:3399/shop',
      code: 'ECONNREFUSED',
      attempt: 1,
    });
    expect(Date.parse(String(warns[0]?.nextRetryAt))).not.toBeNaN();
    expect(lines.filter((l) => l.level === 30 && String(l.msg).includes('again'))).toHaveLength(1);
  });

  it('does not retry a failure that is not an outage', async () => {
    const { reach } = harness();
    await expect(
      reach.attempt(
        async () => {
          throw new TypeError('bug');
        },
        (e) => !(e instanceof TypeError),
      ),
    ).rejects.toThrow(TypeError);
  });

  it('gives up after giveUpAfterMs naming the component, the endpoint, the key and the attempts', async () => {
    const { reach, states } = harness({ giveUpAfterMs: 30, giveUpKey: 'runtime.connectTimeoutMs' });
    const err = await reach
      .attempt(
        async () => {
          throw refused();
        },
        () => true,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrmUnifyError);
    expect((err as CrmUnifyError).code).toBe('SERVICE_UNAVAILABLE');
    expect((err as Error).message).toMatch(
      /^source:shop-a\.full could not reach mysql:\/\/root@127\.0\.0\.1:3399\/shop within 0 s \(runtime\.connectTimeoutMs\): tried \d+ times, last error ECONNREFUSED/,
    );
    expect((err as Error).message).toContain('sources.shopA.mysql (or SHOP_A_MYSQL_URL)');
    expect(states.at(-1)?.[0]).toBe('failed');
  });

  it('ends a pending wait at once when cancelled', async () => {
    const { reach } = harness({ baseMs: 60_000, maxMs: 60_000 });
    const pending = reach
      .attempt(
        async () => {
          throw refused();
        },
        () => true,
      )
      .catch((e: unknown) => e);
    await flush();
    reach.cancel();
    expect(((await pending) as CrmUnifyError).code).toBe('SHUTDOWN');
  });

  it('reports a failure a self-retrying client saw (kafkajs) without waiting, and nothing once closed', async () => {
    const { reach, states, lines } = harness();
    reach.observe(refused());
    reach.up();
    reach.cancel();
    reach.observe(refused());
    await flush();
    expect(states.map(([s]) => s)).toEqual(['connecting', 'backing-off', 'running']);
    expect(lines.find((l) => l.level === 40)).not.toHaveProperty('nextRetryAt');
  });

  it('finds an error code in the cause chain (kafkajs wraps the socket error)', () => {
    const inner = refused();
    expect(
      errorCode(
        Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: inner }),
      ),
    ).toBe('ECONNREFUSED');
    expect(errorCode(new TypeError('x'))).toBe('TypeError');
  });
});
