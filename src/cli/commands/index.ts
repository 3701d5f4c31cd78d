import type { CommandModule } from '../program.js';
import { checkCommand } from './check.command.js';
import { configCommand } from './config.command.js';
import { crmCommand } from './crm.command.js';
import { demoCommand } from './demo.command.js';
import { genCommand } from './gen.command.js';
import { planCommand } from './plan.command.js';
import { registerCommand } from './register.command.js';
import { rejectsCommand } from './rejects.command.js';
import { replayCommand } from './replay.command.js';
import { runCommand } from './run.command.js';
import { stateCommand } from './state.command.js';
import { sandboxCommand } from './sandbox.command.js';

/** Every command of the crm-unify CLI, in help order. */
export const commands: CommandModule[] = [
  demoCommand,
  runCommand,
  planCommand,
  replayCommand,
  rejectsCommand,
  crmCommand,
  registerCommand,
  stateCommand,
  checkCommand,
  sandboxCommand,
  genCommand,
  configCommand,
];
