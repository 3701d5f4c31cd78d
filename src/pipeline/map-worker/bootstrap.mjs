// Entry of a map worker thread. Plain JavaScript on purpose: a worker does not inherit the main
// thread's tsx registration, so it registers tsx itself (bare specifier resolved from this file,
// i.e. the project's node_modules) before it loads the TypeScript worker loop.
import { workerData } from 'node:worker_threads';

if (workerData.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
