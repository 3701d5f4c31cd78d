import type { z } from 'zod';
import { ConfigError } from './errors.js';

/** Formats every zod issue as `path: message`, so one error lists all problems at once. */
export function formatIssues(error: z.ZodError, origin?: string): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${origin ? `${origin}: ` : ''}${path}: ${issue.message}`;
  });
}

/** Validates config once at start-up, reports all problems together, and freezes the result. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, origin?: string): Readonly<z.infer<S>> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, origin));
  return deepFreeze(parsed.data);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
