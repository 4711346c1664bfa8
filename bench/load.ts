/**
 * Other work on the machine: the load warning every benchmark gives. Other processes compete
 * with every runtime measured alike, but make every figure noisier; a benchmark reads the
 * 1-minute load average (os.loadavg) when it starts and again when it ends, so that load
 * that came up while it measured is reported too.
 */

import { loadavg } from 'node:os';
import { plural } from '../src/common/format.js';

/** Load per core from which the figures are called noisy: half the cores kept busy by something else. */
const BUSY_LOAD_PER_CORE = 0.5;

/** A warning when the 1-minute load average is high for `cores`; `when` is "started" or "ended". */
export function loadWarning(loadAverage: number, cores: number, when: 'started' | 'ended'): string | undefined {
  if (!(loadAverage >= BUSY_LOAD_PER_CORE * cores)) return undefined;
  return (
    `warning: the 1-minute load average was ${loadAverage.toFixed(2)} when the run ${when}, on ${plural(cores, 'core')}: ` +
    'other processes competed for the cores, so the figures are noisier than on an idle machine'
  );
}

/** The load warning now, if any, as a list to append to a result's warnings. */
export function loadWarningsNow(cores: number, when: 'started' | 'ended'): string[] {
  const warning = loadWarning(loadavg()[0]!, cores, when);
  return warning === undefined ? [] : [warning];
}
