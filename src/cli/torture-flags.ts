/**
 * The value parsers `cpuhp torture` needs beyond cli/flags.ts and cli/duration.ts (a
 * probability, a list of fault kinds), and how its times read in its header. Like
 * integerIn, each parser throws InvalidArgumentError, which commander prints as a usage
 * error naming the flag, and the command exits with ExitCode.ERROR.
 */

import { InvalidArgumentError } from 'commander';
import { FAULT_NAMES, isFaultName, type FaultName } from '../torture/faults.js';

/** "1.5 s", "500 ms", "5 min", "1 h": for headers and messages. */
export function describeTime(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))} s`;
  return `${ms} ms`;
}

/** Parses a probability written as a plain decimal from 0 to 1 ("0", "0.1", ".25", "1"). */
export function probability(value: string): number {
  const p = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`expected a number from 0 to 1, such as 0.1, got '${value}'.`);
  return p;
}

/** Parses `--faults`: "all", or fault kinds separated by commas ("states,hostile"). */
export function faultList(value: string): readonly FaultName[] {
  if (value.trim() === 'all') return FAULT_NAMES;
  const names = value.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  const unknown = names.filter((name) => !isFaultName(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected 'all' or fault kinds separated by commas, from: ${FAULT_NAMES.join(', ')}; got '${value}'.`);
  }
  return [...new Set(names.filter(isFaultName))];
}
