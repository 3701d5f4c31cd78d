// Metric labels stay bounded: after whole pipeline runs at two input sizes, no label value looks
// like an INN, a phone number or an e-mail address, every label value comes from a closed
// vocabulary, and the number of label sets per metric does not grow with the input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearSecretsForTests } from '../../src/core/secrets.js';
import { cleaningWarnings, rejectReasons } from '../../src/model/reject-reasons.js';
import { randomSecrets, runPipeline, scaled, type PipelineRun } from './pipeline-run.js';

type LabelSets = Map<string, Set<string>>;

async function labelSets(run: PipelineRun): Promise<{ sets: LabelSets; values: Map<string, Set<string>> }> {
  const sets: LabelSets = new Map();
  const values = new Map<string, Set<string>>();
  for (const metric of await run.metrics.registry.getMetricsAsJSON()) {
    const s = new Set<string>();
    for (const v of metric.values as Array<{ labels: Record<string, string | number> }>) {
      // Histogram buckets carry `le`: a fixed list, not a label set of their own.
      const { le: _le, ...labels } = v.labels;
      s.add(JSON.stringify(labels));
      for (const [k, x] of Object.entries(labels)) {
        const set = values.get(k) ?? new Set<string>();
        set.add(String(x));
        values.set(k, set);
      }
    }
    sets.set(metric.name, s);
  }
  return { sets, values };
}

const small = {
  run: undefined as PipelineRun | undefined,
  sets: new Map() as LabelSets,
  values: new Map<string, Set<string>>(),
};
const large = {
  run: undefined as PipelineRun | undefined,
  sets: new Map() as LabelSets,
  values: new Map<string, Set<string>>(),
};

beforeAll(async () => {
  clearSecretsForTests();
  for (const [target, factor] of [
    [small, 1],
    [large, 4],
  ] as const) {
    target.run = await runPipeline({
      secrets: randomSecrets(),
      scale: scaled(factor),
      seed: 9,
      faults: '500=0.05,lost=0.02',
      batchSize: 10,
    });
    Object.assign(target, await labelSets(target.run));
    await target.run.stop();
  }
}, 180_000);
afterAll(() => clearSecretsForTests());

/** What each label may hold: closed lists, or short names made of the service's own words. */
const vocabulary: Record<string, (v: string) => boolean> = {
  topology: (v) => ['shop-a', 'shop-b'].includes(v),
  source: (v) => /^(shop-a|shop-b)(\.[a-z]+)?$/.test(v),
  stage: (v) => ['map', 'verify', 'resolve', 'load'].includes(v),
  outcome: (v) => ['ok', 'rejected', 'merged', 'unchanged', 'failed'].includes(v),
  reason: (v) => (rejectReasons as readonly string[]).includes(v),
  warning: (v) => (cleaningWarnings as readonly string[]).includes(v),
  api: (v) => ['egrul', 'bitrix24'].includes(v),
  method: (v) => /^[a-zA-Z][a-zA-Z0-9_./]{0,60}$/.test(v) && !/\d{6,}/.test(v),
  // HTTP statuses and transport outcomes; register statuses (crm_unify_register_changes_total)
  status: (v) =>
    /^(\d{3}|network|timeout|[a-z_]{1,20})$/.test(v) ||
    ['ACTIVE', 'REORGANIZING', 'LIQUIDATING', 'LIQUIDATED', 'BANKRUPT', 'NOT_FOUND', 'UNKNOWN'].includes(v),
  kind: (v) => /^[a-z0-9_-]{1,30}$/.test(v),
  cache: (v) => /^[a-z_-]{1,30}$/.test(v),
  result: (v) => /^[a-z_-]{1,30}$/.test(v),
  entity: (v) => ['company', 'contact'].includes(v),
  partition: (v) => v === 'all' || /^\d{1,4}$/.test(v),
};

describe('metric labels after pipeline runs at two input sizes', () => {
  it('the runs did work at two sizes', () => {
    const read = (r: PipelineRun | undefined) => (r?.summary as { totalRead: number }).totalRead;
    expect(read(large.run)).toBeGreaterThan(3 * read(small.run));
    expect(small.sets.get('crm_unify_records_total')?.size).toBeGreaterThan(0);
  });

  it('no label value looks like an INN, a phone number or an e-mail address', () => {
    for (const run of [small, large]) {
      for (const [label, values] of run.values) {
        for (const v of values) {
          expect(/^\d{10}$|^\d{12}$/.test(v), `${label}=${v} looks like an INN`).toBe(false);
          expect(/^\+?[78][\d\s()-]{9,}$|^\d{11}$/.test(v), `${label}=${v} looks like a phone`).toBe(false);
          expect(v.includes('@'), `${label}=${v} looks like an e-mail`).toBe(false);
        }
      }
    }
  });

  it('every label value comes from the closed vocabulary of its label', () => {
    for (const run of [small, large]) {
      for (const [label, values] of run.values) {
        const allowed = vocabulary[label];
        expect(allowed, `label ${label} has no vocabulary in this test: add one or drop the label`).toBeDefined();
        for (const v of values) expect(allowed!(v), `${label}=${v}`).toBe(true);
      }
    }
  });

  it('label sets per metric are few and do not grow with the input', () => {
    const BOUND = 80;
    const report: string[] = [];
    for (const [name, sets] of large.sets) {
      const before = small.sets.get(name)?.size ?? 0;
      report.push(`${name}: ${before} → ${sets.size}`);
      expect(sets.size, name).toBeLessThanOrEqual(BOUND);
      // Four times the input may meet a few more reasons or statuses, never a set per record.
      expect(sets.size, `${name} grew from ${before}`).toBeLessThanOrEqual(before + 12);
    }
    console.log(`[security] label sets per metric (input ×1 → ×4):\n  ${report.join('\n  ')}`);
  });
});
