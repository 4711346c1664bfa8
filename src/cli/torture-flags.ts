/**
 * The value parsers `cpuhp torture` needs beyond cli/flags.ts: times with a unit and a
 * probability. Like integerIn, each throws InvalidArgumentError, which commander prints as a
 * usage error naming the flag, and the command exits with ExitCode.ERROR.
 */

import { InvalidArgumentError } from 'commander';
import { FAULT_NAMES, isFaultName, type FaultName } from '../torture/faults.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/** "1.5 s", "500 ms", "5 min", "1 h": for headers and messages. */
export function describeTime(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))} s`;
  return `${ms} ms`;
}

/** The shortest flag value that parses back to `ms`: 300000 → "5m", 20000 → "20s", 1500 → "1500ms". */
export function timeFlag(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * Parses `500ms`, `20s`, `5m`, or a bare number of seconds (`1.5`), into whole milliseconds
 * from `minMs` to `maxMs`. Whole milliseconds, because that is what every timer here takes.
 */
export function timeIn(minMs: number, maxMs: number): (value: string) => number {
  return (value) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
    const amount = match === null ? Number.NaN : Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
    const ms = Math.round(amount);
    if (!Number.isFinite(amount) || Math.abs(amount - ms) > 1e-6 || ms < minMs || ms > maxMs) {
      throw new InvalidArgumentError(
        `expected a time from ${describeTime(minMs)} to ${describeTime(maxMs)} in whole milliseconds, ` +
          `as 500ms, 20s, 5m or a number of seconds, got '${value}'.`,
      );
    }
    return ms;
  };
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
