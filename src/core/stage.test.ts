import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { accept, reject, type Outcome } from '../model/outcome.js';
import type { Envelope } from './envelope.js';
import { BackOffError, CrmUnifyError } from './errors.js';
import type { RejectSink } from './rejects.js';
import { stage } from './stage.js';

function envelopes(values: number[]) {
  const acked: number[] = [];
  const envs: Envelope<number>[] = values.map((v, i) => ({
    value: v,
    source: 'test',
    position: { partition: 'p', offset: BigInt(i) },
    ack: () => acked.push(v),
    nack: () => {},
  }));
  return { envs, acked };
}

function memoryRejects() {
  const rejected: { value: unknown; reason: string; detail: string }[] = [];
  const sink: RejectSink = {
    reject: async (env, reason, detail) => {
      rejected.push({ value: env.value, reason, detail });
    },
  };
  return { sink, rejected };
}

describe('stage', () => {
  it('passes accepted values on and rejects bad data durably before acking it', async () => {
    const { envs, acked } = envelopes([1, -2, 3]);
    const { sink, rejected } = memoryRejects();
    const out = await lastValueFrom(
      from(envs).pipe(
        stage(
          'validate',
          (v: number): Outcome<string> => (v > 0 ? accept(`ok${v}`) : reject('INVALID_INN', 'negative')),
          { rejects: sink },
        ),
        toArray(),
      ),
    );
    expect(out.map((e) => e.value)).toEqual(['ok1', 'ok3']);
    expect(rejected).toEqual([{ value: -2, reason: 'INVALID_INN', detail: 'negative' }]);
    expect(acked).toEqual([-2]); // accepted records are acked downstream, not here
  });

  it('retries transient errors and then succeeds', async () => {
    const { envs } = envelopes([7]);
    let calls = 0;
    const out = await lastValueFrom(
      from(envs).pipe(
        stage(
          'egrul',
          async (v: number) => {
            if (++calls < 3) throw new BackOffError('REGISTRY_RATE_LIMITED', '429', 1);
            return accept(v * 2);
          },
          { rejects: memoryRejects().sink },
          { retry: { retries: 5, baseMs: 1, maxMs: 5 } },
        ),
        toArray(),
      ),
    );
    expect(out.map((e) => e.value)).toEqual([14]);
    expect(calls).toBe(3);
  });

  it('fails the topology on a non-retriable error by default, without acking', async () => {
    const { envs, acked } = envelopes([1]);
    const run = lastValueFrom(
      from(envs).pipe(
        stage(
          'load',
          () => {
            throw new CrmUnifyError('CRM_UNAUTHORIZED', 'bad webhook');
          },
          { rejects: memoryRejects().sink },
        ),
      ),
    );
    await expect(run).rejects.toMatchObject({ code: 'TOPOLOGY_FAILED' });
    expect(acked).toEqual([]);
  });

  it('turns unexpected errors into MALFORMED_RECORD rejects under the reject policy', async () => {
    const { envs, acked } = envelopes([1, 2]);
    const { sink, rejected } = memoryRejects();
    const out = await lastValueFrom(
      from(envs).pipe(
        stage(
          'map',
          (v: number) => {
            if (v === 1) throw new TypeError('cannot read x of undefined');
            return accept(v);
          },
          { rejects: sink },
          { onError: 'reject' },
        ),
        toArray(),
      ),
    );
    expect(out.map((e) => e.value)).toEqual([2]);
    expect(rejected[0]).toMatchObject({ reason: 'MALFORMED_RECORD' });
    expect(rejected[0]!.detail).toContain('cannot read x');
    expect(acked).toEqual([1]);
  });
});
