/**
 * The two words of the wake-up round trip (wake-round-trip.ts and wake-worker.ts): the main
 * thread writes a round number to PING and notifies; the worker, blocked in Atomics.wait on
 * PING, wakes, writes the same number to PONG and notifies; the main thread, waiting on PONG
 * with Atomics.waitAsync as cpuhp's controller waits, resumes.
 */

export const PING = 0;
export const PONG = 1;
export const WORDS = 2;
/** Written to PING to end the worker. */
export const STOP = -1;
