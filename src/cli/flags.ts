/**
 * Parsers for command-line values, in commander's argParser shape. They throw
 * InvalidArgumentError, which commander prints as a usage error naming the flag.
 */

import { whyUnwritable } from '../common/writable.js';
import { resolve } from 'node:path';
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

/**
 * Refuses an output path that cannot be written before a long run starts, rather than
 * failing at its end: an empty name, a directory, a file or directory that is read-only.
 */
export function assertWritable(command: Command, flag: string, file: string): void {
  const refuse = (why: string): never => command.error(`error: ${flag} ${JSON.stringify(file)}: ${why}`, { exitCode: ExitCode.ERROR });
  if (file.trim() === '') refuse('give the name of a file to write');
  const path = resolve(file);
  const why = /[\\/]$/.test(file) ? ({ kind: 'directory' } as const) : whyUnwritable(path);
  if (why === undefined) return;
  if (why.kind === 'directory') return refuse(`it names a directory (${path}); give the name of a file to write`);
  refuse(why.kind === 'file-not-writable' ? `${path} is not writable` : `the directory ${why.dir} does not exist or is not writable`);
}
