import { Command, CommanderError } from 'commander';
import { ConfigError, CrmUnifyError, errorMessage } from '../core/errors.js';
import { scrub } from '../core/secrets.js';
import type { DemoTopologies } from '../demo/run-demo.js';
import type { TopologyRegistry } from '../pipeline/topology.js';

/** Exit codes: 0 ok, 1 failed checks or run errors, 2 usage or configuration errors. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** What the entry point (bin/main.ts) hands the commands: the topologies live outside src/. */
export interface CliContext {
  /** `run` and `plan`: the topologies by name. */
  topologies: TopologyRegistry;
  /** `demo`: its topologies over the generated data set. */
  demoTopologies: DemoTopologies;
}

export type CommandModule = (program: Command, ctx: CliContext) => void;

/** Builds the program: every command comes from its own module under cli/commands. */
export function buildProgram(modules: CommandModule[], ctx: CliContext): Command {
  const program = new Command('crm-unify')
    .description('Merge the B2B customer bases of several stores into one Bitrix24 CRM')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of modules) register(program, ctx);
  // Sub-commands inherit exitOverride so usage errors surface as CommanderError, not process.exit.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

const reported = new WeakSet<object>();

/** Marks an error the command already wrote out (as a log line): only its exit code is left to map. */
export function markReported(err: unknown): unknown {
  if (err !== null && typeof err === 'object') reported.add(err);
  return err;
}

/** Runs the program and maps every outcome to an exit code, printing errors without secrets. */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return ExitCode.ok;
      return ExitCode.usage;
    }
    if (err instanceof ConfigError || (err instanceof CrmUnifyError && err.code === 'USAGE')) {
      process.stderr.write(`crm-unify: ${scrub(err.message)}\n`);
      return ExitCode.usage;
    }
    if (err !== null && typeof err === 'object' && reported.has(err)) return ExitCode.failed;
    const code = err instanceof CrmUnifyError ? ` [${err.code}]` : '';
    process.stderr.write(`crm-unify: error${code}: ${scrub(errorMessage(err))}\n`);
    return ExitCode.failed;
  }
}
