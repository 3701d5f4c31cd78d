import type { CommandModule } from '../program.js';
import { configCommand } from './config.command.js';
import { genCommand } from './gen.command.js';

/** Every command of the crm-unify CLI, in help order. */
export const commands: CommandModule[] = [genCommand, configCommand];
