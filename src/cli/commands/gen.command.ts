import { InvalidArgumentError, type Command } from 'commander';
import { CrmUnifyError } from '../../core/errors.js';
import { crmSeedFrom } from '../../gen/crm-seed.js';
import { generate, scales } from '../../gen/dataset.js';
import { writeCrmSeed, writeDataset } from '../../gen/write.js';

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function parseShare(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a share from 0 to 1');
  return n;
}

/** `crm-unify gen --scale small|seed --out DIR [--seed N]`: deterministic data of both stores plus ground truth. */
export function genCommand(program: Command): void {
  program
    .command('gen')
    .description(
      'Generate synthetic data of both stores (SQL, windows-1251 dump, Kafka events), a register file and the ground truth',
    )
    .requiredOption('--out <dir>', 'output directory')
    .option('--scale <scale>', "small (demo) or seed (the seed system's volumes)", 'small')
    .option('--seed <n>', 'random seed', parseSeed, 1)
    .option(
      '--crm-seed-share <p>',
      'share of the expected companies a CRM seed (crm-seed.json) holds; 0: none',
      parseShare,
      0.15,
    )
    .action(async (opts: { out: string; scale: string; seed: number; crmSeedShare: number }) => {
      if (opts.scale !== 'small' && opts.scale !== 'seed')
        throw new CrmUnifyError('USAGE', `--scale must be small or seed, got ${opts.scale}`);
      const ds = generate(scales[opts.scale], opts.seed);
      const paths = await writeDataset(ds, opts.out);
      const crm = opts.crmSeedShare > 0 ? crmSeedFrom(ds, { share: opts.crmSeedShare, seed: opts.seed }) : undefined;
      const crmPaths = crm ? await writeCrmSeed(crm, opts.out) : {};
      process.stdout.write(
        `${JSON.stringify({ files: { ...paths, ...crmPaths }, counts: ds.truth.counts, ...(crm ? { crmSeed: crm.counts } : {}) }, null, 2)}\n`,
      );
    });
}
