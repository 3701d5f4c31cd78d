import { commands } from './commands/index.js';
import { buildProgram, runProgram, type CliContext } from './program.js';

/**
 * The command line over the topologies the entry point hands in (bin/main.ts): src/ never imports
 * topologies/. Sets the exit code.
 */
export async function main(argv: string[], ctx: CliContext): Promise<void> {
  const code = await runProgram(buildProgram(commands, ctx), argv);
  process.exitCode = code;
  // A finished `run` is finished: a library's leftover socket or retry timer must not keep it alive.
  if (argv[0] === 'run') setTimeout(() => process.exit(code), 1000).unref();
}
