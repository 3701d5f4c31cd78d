import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { findUnknownKeys, formatUnknownKey } from './unknown-keys.js';

/** Formats every zod issue as `path: message`, so one error lists all problems at once. */
export function formatIssues(error: z.ZodError, origin?: string): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${origin ? `${origin}: ` : ''}${path}: ${issue.message}`;
  });
}

/**
 * Validates config once at start-up, reports all problems together (unknown keys among them: a
 * misspelt key must not fall back to its default unnoticed), and freezes the result.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, origin?: string): Readonly<z.infer<S>> {
  const unknown = findUnknownKeys(schema, input).map((u) => `${origin ? `${origin}: ` : ''}${formatUnknownKey(u)}`);
  const parsed = schema.safeParse(input);
  if (!parsed.success || unknown.length)
    throw new ConfigError([...unknown, ...(parsed.success ? [] : formatIssues(parsed.error, origin))]);
  return deepFreeze(parsed.data);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
