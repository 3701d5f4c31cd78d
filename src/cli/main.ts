#!/usr/bin/env node
import { commands } from './commands/index.js';
import { buildProgram, runProgram } from './program.js';

const code = await runProgram(buildProgram(commands), process.argv.slice(2));
process.exitCode = code;
