import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('lets the burst through at once and then drains at the rate', async () => {
    const limiter = new RateLimiter(20, 5);
    const started = performance.now();
    const waits = await Promise.all(Array.from({ length: 9 }, () => limiter.take()));
    const elapsed = performance.now() - started;
    expect(waits.slice(0, 5).every((w) => w < 20)).toBe(true);
    // 4 past the burst at 20/s: about 200 ms
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
  });

  it('grants the burst at once, then holds callers to the rate', async () => {
    const limiter = new RateLimiter(50, 5);
    const started = performance.now();
    await Promise.all(Array.from({ length: 15 }, () => limiter.take()));
    const elapsed = performance.now() - started;
    // 5 immediately, 10 more at 50/s = 200 ms; generous upper bound for a loaded CI machine.
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
  });

  it('serves waiters in arrival order', async () => {
    const limiter = new RateLimiter(50, 1);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => limiter.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('assumes a full server bucket after a 503', async () => {
    let now = 0;
    const limiter = new RateLimiter(2, 10, () => now);
    await limiter.take();
    limiter.saturate();
    expect(limiter.fill).toBe(10);
    now += 1000;
    expect(limiter.fill).toBeCloseTo(8);
  });

  it('bursts as much as its rate when no capacity is given, and refuses nonsense parameters', () => {
    expect(new RateLimiter(6).capacity).toBe(6);
    expect(new RateLimiter(0.5).capacity).toBe(1);
    expect(() => new RateLimiter(0)).toThrow(RangeError);
    expect(() => new RateLimiter(1, 0.5)).toThrow(RangeError);
  });
});
