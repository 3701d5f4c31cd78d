export * from './source-ids.js';
export * from './build.js';
export * from './shop-a.js';
export * from './shop-b.js';
