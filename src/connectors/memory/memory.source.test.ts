import { describe, expect, it } from 'vitest';
import { lastValueFrom, tap } from 'rxjs';
import { fromPullSource } from '../../core/pull-source.js';
import { MemorySource } from './memory.source.js';

describe('MemorySource', () => {
  it('stays within its credits and commits only contiguous acks', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const source = new MemorySource(items, { name: 'mem' });
    const held: (() => void)[] = [];
    let maxHeld = 0;
    await lastValueFrom(
      fromPullSource(source, { maxInFlight: 7 }).pipe(
        tap((env) => {
          if (env.value === 3)
            held.push(() => env.ack()); // one slow record
          else env.ack();
          maxHeld = Math.max(maxHeld, held.length);
          if (env.value === 9) expect(source.committed).toBe(2);
          if (env.value === 9) held.splice(0).forEach((f) => f());
        }),
      ),
    );
    expect(source.committed).toBe(99);
  });

  it('resumes after the committed index', async () => {
    const source = new MemorySource(['a', 'b', 'c', 'd'], { name: 'mem', after: 1 });
    const seen: string[] = [];
    await lastValueFrom(
      fromPullSource(source, { maxInFlight: 2 }).pipe(
        tap((env) => {
          seen.push(env.value);
          env.ack();
        }),
      ),
    );
    expect(seen).toEqual(['c', 'd']);
  });
});
