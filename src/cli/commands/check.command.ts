import { Argument, type Command } from 'commander';
import { checkExitCode, checkKinds, checkValues, formatCheckResults, type CheckKind } from './check.js';

/** `crm-unify check inn|kpp|ogrn|bik|account <value…> [--bik B] [--json]`: exit 1 if any value is invalid. */
export function checkCommand(program: Command): void {
  program
    .command('check')
    .description('Validate Russian identifiers (INN, KPP, OGRN/OGRNIP, BIK, bank account against a BIK)')
    .addArgument(new Argument('<kind>', 'what the values are').choices(checkKinds))
    .argument('<values...>', 'values to check (spaces and dashes inside a value are cleaned)')
    .option('--bik <bik>', 'the bank BIK (required for account)')
    .option('--json', 'print [{ value, kind, valid, reason }] in input order')
    .action((kind: CheckKind, values: string[], opts: { bik?: string; json?: boolean }) => {
      const results = checkValues(kind, values, opts.bik === undefined ? {} : { bik: opts.bik });
      const text = formatCheckResults(results, opts.json === true);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      process.exitCode = checkExitCode(results);
    });
}
