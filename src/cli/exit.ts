/**
 * Exit codes shared by every subcommand, and the wrapper that maps an action's outcome to
 * one, so scripts can tell "the run found a problem" from "the run could not be done" and
 * from "the run was stopped".
 */

import { CpuhpError } from '../errors.js';
import { restoreTerminal, SIGNAL_EXIT_CODE, watchInterrupts, type Interruption } from './interrupt.js';

export const ExitCode = {
  /** Everything ran and every check passed. */
  OK: 0,
  /** The run completed and a check failed (an invariant violation, a thread that ran while its CPU was down, ...), or an output file could not be written at the end. */
  CHECK_FAILED: 1,
  /** The run could not be done: bad flags, or the runtime refused or failed (ConfigError, HotplugError, ...). */
  ERROR: 2,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2, as a shell reports it. What was done is printed. */
  INTERRUPTED: SIGNAL_EXIT_CODE.SIGINT,
  /** Stopped by SIGTERM: 128 + 15. */
  TERMINATED: SIGNAL_EXIT_CODE.SIGTERM,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * How long a command may take to stop once interrupted before it exits without its report:
 * its own wind-down is bounded more tightly (a runtime's shutdown within its hotplug timeout),
 * so this is only reached when something hangs.
 */
export const WIND_DOWN_MS = 30_000;

/**
 * Runs a subcommand's body and exits with its code. A cpuhp error prints its message, which
 * says what to do; anything else is a bug in cpuhp, so it prints the stack too. A body that
 * was interrupted (SIGINT, SIGTERM) exits 130 or 143 whatever it returned, once it has
 * printed what it had. Exiting explicitly ends the process even if a worker were left behind
 * by a failed shutdown.
 */
export async function runCommand(name: string, body: (interruption: Interruption) => Promise<ExitCodeValue>): Promise<never> {
  const interruption = watchInterrupts(name, WIND_DOWN_MS);
  let code: ExitCodeValue;
  try {
    code = await body(interruption);
  } catch (error) {
    if (error instanceof CpuhpError) {
      process.stderr.write(`cpuhp ${name}: ${error.name}: ${error.message}\n`);
    } else {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`cpuhp ${name}: unexpected error (a bug in cpuhp; please report it):\n${detail}\n`);
    }
    code = ExitCode.ERROR;
  }
  const signal = interruption.received();
  interruption.dispose();
  restoreTerminal();
  process.exit(signal === undefined ? code : SIGNAL_EXIT_CODE[signal]);
}
