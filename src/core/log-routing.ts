import { format } from 'node:util';
import type { Logger } from './logger.js';

const consoleMethods = ['log', 'info', 'debug', 'warn', 'error', 'trace'] as const;
type ConsoleMethod = (typeof consoleMethods)[number];
const levelOf: Record<ConsoleMethod, 'info' | 'debug' | 'warn' | 'error'> = {
  log: 'info',
  info: 'info',
  debug: 'debug',
  trace: 'debug',
  warn: 'warn',
  error: 'error',
};

/**
 * One log stream for a long run: whatever a library prints with `console.*` and Node's process
 * warnings (deprecations, MaxListeners…) become pino lines with `component` set, instead of
 * text in another shape on stdout/stderr. Returns a function that puts things back.
 */
export function routeLibraryOutput(logger: Logger): () => void {
  const saved = consoleMethods.map((m) => [m, console[m]] as const);
  const lib = logger.child({ component: 'console' });
  for (const m of consoleMethods) {
    console[m] = (...args: unknown[]) => lib[levelOf[m]](format(...args));
  }
  // Node prints warnings itself through a default 'warning' listener; ours replaces it.
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (w: Error) =>
    logger.warn({ component: 'node', warning: w.name, code: (w as { code?: unknown }).code }, w.message);
  process.on('warning', onWarning);
  return () => {
    for (const [m, fn] of saved) console[m] = fn;
    process.off('warning', onWarning);
    for (const l of defaults) process.on('warning', l);
  };
}
