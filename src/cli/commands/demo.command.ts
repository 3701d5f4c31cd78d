import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { runDemo, type DemoReport } from '../../demo/run-demo.js';
import type { CliContext } from '../program.js';
import { intOption } from './options.js';

function table(rows: Array<[string, string | number]>): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

function adoptionLines(r: DemoReport): string[] {
  const a = r.adoption;
  const expect0 = (n: number) => `${n}   (expected 0)`;
  return [
    `CRM filled by people before the run: ${a.seeded.companies} companies (${a.seeded.twins} entered twice, ${a.seeded.invalidInn} with a mistyped INN), ${a.seeded.contacts} contacts`,
    table([
      ['kept under their CRM ids (companies / contacts)', `${a.kept.companies} / ${a.kept.contacts}`],
      ['linked by crm-unify (companies / contacts)', `${a.linked.companies} / ${a.linked.contacts}`],
      ['INNs with 2+ CRM companies, beyond seeded twins', expect0(a.innsWithTwins)],
      ['people with a second CRM contact', expect0(a.personTwins)],
      ['seeded comments / owners changed', `${a.changed.comments} / ${a.changed.owners}   (expected 0 / 0)`],
    ]),
  ];
}

export function formatDemoReport(r: DemoReport): string {
  const s = r.summary;
  const rejected = Object.entries(s.rejected)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]): [string, number] => [`  ${k}`, v ?? 0]);
  return [
    'crm-unify demo: both stores, embedded sandbox, every topology run to completion',
    '',
    'Input',
    table([
      ['Shop A companies / contacts', `${r.input.shopACompanies} / ${r.input.shopAContacts}`],
      ['Shop B partners (dump + events)', `${r.input.shopBDump} + ${r.input.kafkaEvents} events`],
      ['Shop B nested contacts', r.input.shopBContacts ?? 0],
      ['records read', s.totalRead],
    ]),
    '',
    'Outcome',
    table([
      ['resolved (applied)', s.resolved.applied ?? 0],
      ['merged or unchanged', (s.resolved.unchanged ?? 0) + (s.resolved.stale ?? 0)],
      ['parked (contact before company)', s.resolved.parked ?? 0],
      ['rejected', s.totalRejected],
      ...rejected,
      ['cleaning warnings', Object.values(s.warnings).reduce((a, b) => a + b, 0)],
    ]),
    '',
    'CRM (sandbox portal)',
    table([
      [
        'companies',
        `${r.crm.companies}   (ground truth: ${r.expected.companies}, + ${r.adoption.seeded.twins + r.adoption.seeded.invalidInn} seeded twins and mistyped INNs)`,
      ],
      ['contacts', `${r.crm.contacts}   (ground truth: ${r.expected.contacts})`],
      ['requisites', r.crm.requisites ?? 0],
      ['bank details', r.crm.bankDetails ?? 0],
      ['CRM requests / 503s', `${r.crmRequests} / ${r.crm503}`],
      ['register requests', r.registerRequests],
    ]),
    '',
    ...adoptionLines(r),
    '',
    'De-duplication against the ground truth',
    table([
      [
        'golden companies (missing / extra)',
        `${r.dedup.companies.golden} (${r.dedup.companies.missing} / ${r.dedup.companies.extra})`,
      ],
      ['golden contacts', `${r.dedup.contacts.golden}   (real people: ${r.dedup.contacts.expected})`],
      [
        'contact pairs precision / recall',
        `${r.dedup.contacts.precision.toFixed(4)} / ${r.dedup.contacts.recall.toFixed(4)}`,
      ],
    ]),
    '',
    `Duration ${(r.durationMs / 1000).toFixed(1)} s`,
    '',
  ].join('\n');
}

/** `crm-unify demo [--json]`: the embedded default, on a fresh machine with nothing else running. */
export function demoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      "Run both stores' sample data through every topology against an in-process sandbox and print a summary",
    )
    .option('--json', 'print the summary as one JSON object')
    .option('--seed <n>', 'sample data seed', intOption(0), 1)
    .action(async (opts: { json?: boolean; seed: number }) => {
      const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
      const report = await runDemo({ topologies: ctx.demoTopologies, seed: opts.seed, logger });
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatDemoReport(report));
    });
}
