import { describe, expect, it } from 'vitest';
import { LeakyBucket } from './leaky-bucket.js';

describe('LeakyBucket', () => {
  it('lets the burst through at once and then drains at the rate', async () => {
    const bucket = new LeakyBucket(20, 5);
    const started = performance.now();
    const waits = await Promise.all(Array.from({ length: 9 }, () => bucket.take()));
    const elapsed = performance.now() - started;
    expect(waits.slice(0, 5).every((w) => w < 20)).toBe(true);
    // 4 past the burst at 20/s: about 200 ms
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
  });

  it('serves waiters in arrival order', async () => {
    const bucket = new LeakyBucket(50, 1);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('assumes a full portal bucket after a 503', async () => {
    let now = 0;
    const bucket = new LeakyBucket(2, 10, () => now);
    await bucket.take();
    bucket.saturate();
    expect(bucket.fill).toBe(10);
    now += 1000;
    expect(bucket.fill).toBeCloseTo(8);
  });
});
