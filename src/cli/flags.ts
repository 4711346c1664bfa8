/**
 * Parsers for command-line values, in commander's argParser shape. They throw
 * InvalidArgumentError, which commander prints as a usage error naming the flag.
 */

import { InvalidArgumentError } from 'commander';

/**
 * Parses a whole number from `min` to `max`; rejects "1.5", "1e3", "0x10", " 2". `why`, if
 * given, is appended to the message to explain the bounds.
 */
export function integerIn(min: number, max: number, why?: string): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got '${value}'${why === undefined ? '' : ` (${why})`}.`);
    }
    return n;
  };
}
