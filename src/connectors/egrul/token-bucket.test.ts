import { describe, expect, it } from 'vitest';
import { Semaphore, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('grants the burst at once, then holds callers to the rate', async () => {
    const bucket = new TokenBucket(50, 5);
    const started = performance.now();
    await Promise.all(Array.from({ length: 15 }, () => bucket.take()));
    const elapsed = performance.now() - started;
    // 5 immediately, 10 more at 50/s = 200 ms; generous upper bound for a loaded CI machine.
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
  });

  it('refuses nonsense parameters', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });
});

describe('Semaphore', () => {
  it('never lets more than the limit run', async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 20 }, () => sem.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    })));
    expect(peak).toBe(3);
    expect(sem.inFlight).toBe(0);
  });
});
