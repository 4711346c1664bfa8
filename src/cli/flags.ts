/**
 * Parsers for command-line values, in commander's argParser shape. They throw
 * InvalidArgumentError, which commander prints as a usage error naming the flag.
 */

import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from './exit.js';

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

/** Refuses an output path whose directory is missing or read-only before a long run starts. */
export function assertWritable(command: Command, flag: string, file: string): void {
  const dir = dirname(resolve(file));
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    command.error(`error: ${flag} ${file}: the directory ${dir} does not exist or is not writable`, { exitCode: ExitCode.ERROR });
  }
}
