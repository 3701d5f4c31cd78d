export { Resolver, type ResolverOptions, type MarkSyncedResult } from './resolver.js';
export { resolveChange } from './resolve-change.js';
export { applyChange, type ChangePosition, type ResolveOutcome, type ResolveResult } from './apply-change.js';
export type { GoldenRef } from './aggregate.js';
export { contactMatchKeys, nameKey, phoneKey, sharedChannels } from './match-keys.js';
export { canonicalJson, contentHash } from './content-hash.js';
export { foldKey } from './fold.js';
