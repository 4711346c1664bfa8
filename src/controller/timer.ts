/**
 * Timers for any timeout a user can pass. Node's setTimeout takes a 32-bit signed delay: a
 * longer one is clamped to 1 ms (with a TimeoutOverflowWarning), so `timeoutMs: 2 ** 31`
 * would fire at once. A long timeout here is a chain of timers of at most MAX_TIMER_MS,
 * each re-armed for what is left until the deadline; Infinity arms no timer at all.
 *
 * (Atomics.waitAsync, which protocol/wait.ts uses, needs none of this: on Node 20 it takes
 * delays above 2^31 - 1 ms and Infinity as they are.)
 */

import { CpuhpError } from '../errors.js';

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  /** Disarms the timer; a no-op once it fired or was cleared. */
  clear(): void;
}

const NONE: LongTimer = { clear: () => undefined };

/**
 * Calls `callback` once after `ms` milliseconds (any positive number; 0 means the next
 * turn of the timers), or never for Infinity. Like setTimeout, an armed timer keeps the
 * process alive.
 */
export function setLongTimeout(callback: () => void, ms: number): LongTimer {
  return chainTimeout(callback, ms, MAX_TIMER_MS);
}

/** setLongTimeout with the longest single timer as a parameter, so a test can chain short ones. */
export function chainTimeout(callback: () => void, ms: number, sliceMs: number): LongTimer {
  // Callers validate every timeout a user passes: another value here is a bug of cpuhp's own.
  if (Number.isNaN(ms) || ms < 0) throw new CpuhpError(`cpuhp: a timer needs a delay from 0 ms up or Infinity, got ${ms}`, { code: 'ERR_CPUHP_INTERNAL' });
  if (ms === Infinity) return NONE;
  const deadline = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = (left: number): void => {
    timer = setTimeout(() => {
      const rest = deadline - performance.now();
      // A timer may fire a fraction of a millisecond early: only a whole slice left re-arms.
      if (rest >= 1) arm(rest);
      else {
        timer = undefined;
        callback();
      }
    }, Math.min(left, sliceMs));
  };
  arm(ms);
  return {
    clear: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
