import type { CommandModule } from '../program.js';
import { checkCommand } from './check.command.js';
import { configCommand } from './config.command.js';
import { genCommand } from './gen.command.js';
import { sandboxCommand } from './sandbox.command.js';

/** Every command of the crm-unify CLI, in help order. */
export const commands: CommandModule[] = [checkCommand, sandboxCommand, genCommand, configCommand];
