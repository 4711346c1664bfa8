/**
 * Exit codes shared by every subcommand, and the wrapper that maps an action's outcome to
 * one, so scripts can tell "the run found a problem" from "the run could not be done".
 */

import { CpuhpError } from '../errors.js';

export const ExitCode = {
  /** Everything ran and every check passed. */
  OK: 0,
  /** The run completed and a check failed (an invariant violation, a thread that ran while its CPU was down, ...). */
  CHECK_FAILED: 1,
  /** The run could not be done: bad flags, or the runtime refused or failed (ConfigError, HotplugError, ...). */
  ERROR: 2,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Runs a subcommand's body and exits with its code. A cpuhp error prints its message, which
 * says what to do; anything else is a bug in cpuhp, so it prints the stack too. Exiting
 * explicitly ends the process even if a worker were left behind by a failed shutdown.
 */
export async function runCommand(name: string, body: () => Promise<ExitCodeValue>): Promise<never> {
  let code: ExitCodeValue;
  try {
    code = await body();
  } catch (error) {
    if (error instanceof CpuhpError) {
      process.stderr.write(`cpuhp ${name}: ${error.name}: ${error.message}\n`);
    } else {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`cpuhp ${name}: unexpected error (a bug in cpuhp; please report it):\n${detail}\n`);
    }
    code = ExitCode.ERROR;
  }
  process.exit(code);
}
