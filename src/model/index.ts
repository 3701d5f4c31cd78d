export * from './canonical.js';
export * from './outcome.js';
export * from './reject-reasons.js';
