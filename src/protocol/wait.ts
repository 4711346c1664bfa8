/**
 * The one way anything in cpuhp waits on shared memory: Atomics.waitAsync on the word the
 * awaited change will be written to, with a deadline. Every writer of such a word calls
 * Atomics.notify after writing, so a waiter wakes on the change, not on a poll interval;
 * the deadline only bounds how long a missing writer can hold it.
 */

/**
 * Resolves true once `done(word)` holds, false if `timeoutMs` passes first.
 * The value passed to waitAsync is the one `done` rejected, so a write landing between
 * the check and the wait makes waitAsync return at once ("not-equal") instead of sleeping.
 * `timeoutMs` 0 checks once; Infinity waits as long as it takes. Unlike setTimeout,
 * waitAsync honours delays above 2^31 - 1 ms and Infinity as they are (checked on Node 20),
 * so no long-timer chain is needed here. NaN would wait for ever: callers validate first.
 */
export async function waitForWord(
  words: Int32Array,
  index: number,
  done: (value: number) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = Atomics.load(words, index);
    if (done(value)) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    const result = Atomics.waitAsync(words, index, value, left);
    if (result.async) await result.value;
  }
}

/** Blocking variant for a worker that must not run JavaScript while it waits (a dead CPU). */
export function blockWhileWord(words: Int32Array, index: number, value: number, sliceMs: number): number {
  for (;;) {
    Atomics.wait(words, index, value, sliceMs);
    const now = Atomics.load(words, index);
    if (now !== value) return now;
  }
}
