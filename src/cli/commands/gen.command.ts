import { InvalidArgumentError, type Command } from 'commander';
import { CrmUnifyError } from '../../core/errors.js';
import { generate, scales } from '../../gen/dataset.js';
import { writeDataset } from '../../gen/write.js';

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** `crm-unify gen --scale small|seed --out DIR [--seed N]`: deterministic data of both stores plus ground truth. */
export function genCommand(program: Command): void {
  program
    .command('gen')
    .description('Generate synthetic data of both stores (SQL, windows-1251 dump, Kafka events), a register file and the ground truth')
    .requiredOption('--out <dir>', 'output directory')
    .option('--scale <scale>', 'small (demo) or seed (the seed system\'s volumes)', 'small')
    .option('--seed <n>', 'random seed', parseSeed, 1)
    .action(async (opts: { out: string; scale: string; seed: number }) => {
      if (opts.scale !== 'small' && opts.scale !== 'seed') throw new CrmUnifyError('USAGE', `--scale must be small or seed, got ${opts.scale}`);
      const ds = generate(scales[opts.scale], opts.seed);
      const paths = await writeDataset(ds, opts.out);
      process.stdout.write(`${JSON.stringify({ files: paths, counts: ds.truth.counts }, null, 2)}\n`);
    });
}
