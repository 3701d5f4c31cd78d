#!/usr/bin/env node
import { commands } from './commands/index.js';
import { buildProgram, runProgram } from './program.js';

const argv = process.argv.slice(2);
const code = await runProgram(buildProgram(commands), argv);
process.exitCode = code;
// A finished `run` is finished: a library's leftover socket or retry timer must not keep it alive.
if (argv[0] === 'run') setTimeout(() => process.exit(code), 1000).unref();
