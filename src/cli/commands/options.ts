import { InvalidArgumentError } from 'commander';

/** Shared option parsers: bad values become usage errors (exit 2) with the option's rule. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number (or Infinity)');
  return n;
}
