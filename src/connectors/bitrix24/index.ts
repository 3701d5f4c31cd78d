export * from './config.js';
export * from './batch-command.js';
export * from './classify.js';
export * from './rest-client.js';
export * from './types.js';
export * from './loader.js';
export { resolvePresets } from './presets.js';
export * from './operating-budget.js';
