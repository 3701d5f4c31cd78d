#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=64
// The node flag: a 64 MB young generation. Records live a few milliseconds, and with the default (16 MB)
// the scavenger promotes and re-collects them: GC took 17 % of an end-to-end run, 10 % with this.
// MALLOC_ARENA_MAX=2: glibc gives each thread (LevelDB's, libuv's) its own malloc arena; two hold
// the same work with about 200 MB less peak RSS over the seed data (BENCHMARKS §1). No effect off glibc.
// Runs the TypeScript entry point through tsx, so the command works from a checkout without a build.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
