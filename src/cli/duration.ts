/**
 * Durations on the command line: `500ms`, `20s`, `5m`, `1h`, `1.5s`, and compounds with the
 * units from the largest down, each at most once: `2m30s`, `1h30m`, `1m0.5s`. A bare number is
 * in the flag's own unit (seconds for torture's times, as they always were; milliseconds for
 * `--churn-interval <ms>`). Every value is whole milliseconds, what every timer here takes.
 *
 * A small parser rather than a library: `ms` reads no compounds, and `parse-duration` reads
 * far more than a flag should accept (negative values, `1e3`, `years`, spaces); both would
 * need this grammar checked on top. Its properties are tested with fast-check
 * (test/unit/cli-duration.test.ts).
 */

import { InvalidArgumentError } from 'commander';

export type DurationUnit = 'h' | 'm' | 's' | 'ms';

/** The units, largest first: the order a compound duration writes them in. */
const UNITS: readonly DurationUnit[] = ['h', 'm', 's', 'ms'];
const UNIT_MS: Readonly<Record<DurationUnit, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** One part: a plain decimal ("1", "1.5", "0.25"), then its unit; `ms` before `m`, so "5ms" is not "5m" + "s". */
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
const BARE = /^\d+(?:\.\d+)?$/;

/**
 * `value` in milliseconds, or undefined when it is not a duration as described above or is not
 * whole milliseconds. `bare` is the unit of a number written without one.
 */
export function parseDuration(value: string, bare: DurationUnit): number | undefined {
  let amount = 0;
  if (BARE.test(value)) {
    amount = Number(value) * UNIT_MS[bare];
  } else {
    PART.lastIndex = 0;
    let lastUnit = -1;
    while (PART.lastIndex < value.length) {
      const match = PART.exec(value);
      if (match === null) return undefined;
      const unit = UNITS.indexOf(match[2] as DurationUnit);
      // Largest unit first, each once: "30s2m" and "1m1m" are slips, not durations.
      if (unit <= lastUnit) return undefined;
      lastUnit = unit;
      amount += Number(match[1]) * UNIT_MS[UNITS[unit]!];
    }
    if (lastUnit === -1) return undefined;
  }
  const ms = Math.round(amount);
  // Within a millionth of a millisecond: 0.1s is 100.00000000000001 in binary floating point.
  if (!Number.isSafeInteger(ms) || Math.abs(amount - ms) > 1e-6) return undefined;
  return ms;
}

/** The shortest compound that parses back to `ms` (whole, not negative): 150000 → "2m30s", 1500 → "1s500ms", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let left = ms;
  let text = '';
  for (const unit of UNITS) {
    const n = Math.floor(left / UNIT_MS[unit]);
    if (n > 0) text += `${n}${unit}`;
    left -= n * UNIT_MS[unit];
  }
  return text;
}

/**
 * A commander argParser: a duration from `minMs` to `maxMs`, in whole milliseconds. Its
 * message (commander puts the flag's name before it) says the bounds and the accepted forms.
 */
export function durationIn(minMs: number, maxMs: number, bare: DurationUnit): (value: string) => number {
  return (value) => {
    const ms = parseDuration(value, bare);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      throw new InvalidArgumentError(
        `expected a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)} in whole milliseconds, ` +
          `such as 500ms, 20s, 2m30s, 1h30m or 1.5s (units h, m, s, ms, largest first; a bare number is in ${bare === 's' ? 'seconds' : 'milliseconds'}), got '${value}'.`,
      );
    }
    return ms;
  };
}
