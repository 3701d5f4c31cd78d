/**
 * The demo's topologies (their chains), and the demo run against a portal people had already
 * filled (issue 13): its summary reads the portal's own records after the run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDemoReport } from '../src/cli/commands/demo.command.js';
import { silentLogger } from '../src/core/logger.js';
import { MemoryPositionStore } from '../src/core/positions.js';
import { crmSeedFrom } from '../src/gen/crm-seed.js';
import { generate, scales } from '../src/gen/dataset.js';
import { DEMO_CRM_SEED_SHARE, runDemo, type DemoReport } from '../src/demo/run-demo.js';
import { describeTopology, formatDescription } from '../src/pipeline/topology.js';
import { demoTopologies } from './demo.js';

let report: DemoReport;
const planned = crmSeedFrom(generate(scales.small, 1), { share: DEMO_CRM_SEED_SHARE, seed: 1 }).counts;

beforeAll(async () => {
  report = await runDemo({ topologies: demoTopologies, seed: 1, logger: silentLogger });
}, 300_000);

describe('demo topologies', () => {
  it("play both stores from memory and the real dump file through the stores' own chains", () => {
    const described = demoTopologies(generate(scales.small, 1), '/demo/shop-b.json', new MemoryPositionStore()).map(
      describeTopology,
    );
    expect(described.map((d) => [d.name, d.sources])).toEqual([
      ['shop-a', [['shop-a.tables']]],
      ['shop-b', [['shop-b.dump'], ['shop-b.events']]],
    ]);
    const text = described.map(formatDescription).join('\n');
    expect(text).toContain('chain    map(mapShopARow) → verify → resolve → load');
    expect(text).toContain('shop-b.dump: map(mapShopBDumpElement) → verify → resolve → load');
    expect(text).toContain('shop-b.events: map(mapShopBMessage) → verify → resolve → load');
  });
});

describe('demo with a CRM people filled', () => {
  it('starts from the seed and keeps every record people entered, with their comments and owners', () => {
    expect(report.adoption.seeded).toEqual({
      companies: planned.adoptable + planned.twins + planned.invalidInn,
      contacts: planned.contacts,
      twins: planned.twins,
      invalidInn: planned.invalidInn,
    });
    expect(planned.adoptable).toBeGreaterThan(0);
    expect(report.adoption.kept).toEqual({
      companies: report.adoption.seeded.companies,
      contacts: report.adoption.seeded.contacts,
    });
    expect(report.adoption.changed).toEqual({ comments: 0, owners: 0 });
    const text = formatDemoReport(report);
    expect(text).toContain(
      `INNs with 2+ CRM companies, beyond seeded twins  ${report.adoption.innsWithTwins}   (expected 0)`,
    );
    expect(text).toContain(
      `people with a second CRM contact                 ${report.adoption.personTwins}   (expected 0)`,
    );
  });

  it('adopts them: one CRM company per INN and one CRM contact per seeded person, all linked', () => {
    expect(report.adoption.innsWithTwins).toBe(0);
    expect(report.adoption.personTwins).toBe(0);
    expect(report.adoption.linked).toEqual({ companies: planned.adoptable, contacts: planned.contacts });
    // every golden company exists once: the expected ones plus what people made (twins, mistyped INNs)
    expect(report.crm.companies).toBe(report.expected.companies + planned.twins + planned.invalidInn);
  });
});
