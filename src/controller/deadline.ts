/** Bounds a control-plane promise: every wait in cpuhp has a timeout that names who did not answer. */

import { setLongTimeout, type LongTimer } from './timer.js';

/** Rejects with `onTimeout()` if `work` has not settled within `timeoutMs` (Infinity: never). */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: LongTimer | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setLongTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    timer?.clear();
  }
}
