import { vi } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { buildProgram, runProgram } from '../../src/cli/program.js';
import { demoTopologies } from '../../topologies/demo.js';
import { topologies } from '../../topologies/index.js';

/** Runs the crm-unify command line in-process, capturing its output and exit code. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    process.exitCode = undefined;
    return { code: await runProgram(buildProgram(commands, { topologies, demoTopologies }), argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}
