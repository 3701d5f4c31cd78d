export * from './store.js';
export * from './records.js';
export * from './keys.js';
export * from './helpers.js';
export { MemoryStateStore } from './memory-store.js';
export { LevelStateStore, openLevelStore } from './level-store.js';
export { computeStats } from './stats.js';
