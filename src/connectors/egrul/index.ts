export * from './config.js';
export * from './status.js';
export * from './cache.js';
export * from './dadata-client.js';
export * from './verifier.js';
