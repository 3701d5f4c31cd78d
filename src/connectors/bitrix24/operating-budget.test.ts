import { describe, expect, it } from 'vitest';
import { OperatingBudget } from './operating-budget.js';

const clock = () => {
  const c = {
    t: 1_000_000,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
};

describe('OperatingBudget', () => {
  it('learns the cost per command from successive readings and ignores readings older than the last', () => {
    const c = clock();
    const b = new OperatingBudget(10, 1, c);
    b.observe('crm.company.add', { operating: 3, operating_reset_at: 500, finish: 1 }); // 3 s spent before we started
    expect(b.costOf('crm.company.add')).toBe(0);
    b.observe('CRM.COMPANY.ADD', { operating: 3.5, operating_reset_at: 500, finish: 2 });
    b.observe('crm.company.add', { operating: 4, operating_reset_at: 500, finish: 3 });
    b.observe('crm.company.add', { operating: 3.2, operating_reset_at: 500, finish: 2.5 }); // a concurrent, earlier answer
    expect(b.costOf('crm.company.add')).toBeCloseTo(0.5);
    expect(b.used('crm.company.add')).toBeCloseTo(4);
    b.observe('crm.company.add', { operating: 1, operating_reset_at: 560, finish: 4 }); // baskets dropped out
    expect(b.used('crm.company.add')).toBeCloseTo(1);
    expect(b.costOf('crm.company.add')).toBeCloseTo(0.5); // a drop is no sample
  });

  it('holds a request until enough charges expire, and in-flight reservations count', async () => {
    const c = clock();
    const b = new OperatingBudget(10, 1, c);
    b.observe('m', { operating: 4, finish: 1 });
    c.t += 60_000;
    b.observe('m', { operating: 5, finish: 2 });
    b.observe('m', { operating: 6, finish: 3 }); // cost 1; 4 s charged at t0, 2 s a minute later
    expect(b.waitFor({ m: 3 })).toBe(0); // 6 + 3 ≤ 9
    const release = await b.acquire({ m: 3 });
    expect(b.waitFor({ m: 1 })).toBe(9 * 60_000); // 6 + 3 reserved + 1 > 9 until the t0 charge expires
    release();
    expect(b.waitFor({ m: 3 })).toBe(0);
    expect(b.waitFor({ other: 50 })).toBe(0); // an unknown method is not held back
  });

  it('sends the first request of a method alone, since its cost is unknown', async () => {
    const b = new OperatingBudget(10, 1, clock());
    const release = await b.acquire({ m: 1 });
    expect(b.waitFor({ m: 1 })).toBe('release');
    release();
    expect(b.waitFor({ m: 1 })).toBe(0);
  });
});
