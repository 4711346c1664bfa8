/**
 * How the benchmarks put an error caught during a measurement into words, and how they tell
 * errors apart: by `code` (cpuhp's ERR_CPUHP_..., Node's ERR_... and ABORT_ERR), or, for an
 * error without one, its class name; never by its message, which is written for people and
 * may be reworded in any version.
 */

import { errorCode } from '../src/common/errors.js';

/** The message, prefixed by the error's class when it is not a plain Error (HotplugError: ...). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
}

/** What kind of error it is, for tallying rejections: its code, or failing that its class name (or type, for a thrown non-error). */
export function errorKind(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.name : typeof error);
}

/**
 * piscina's pool 'error' event for a worker's result that arrived for a task the pool no
 * longer held: destroy() (which close() ends with) rejected the task while it ran, and it
 * finished anyway (piscina's ThreadPool, "Unexpected message from Worker").
 *
 * The one place the benchmarks read a message: piscina makes this error, like all of its
 * own, a plain Error with no code or class of its own, and it is the only trace of a job
 * that ran after its rejection. Matched on the start of the message piscina 5 writes, and
 * only for errors without a code.
 */
export function isPiscinaResultAfterRejection(error: unknown): boolean {
  return error instanceof Error && error.name === 'Error' && errorCode(error) === undefined && error.message.startsWith('Unexpected message from Worker');
}
