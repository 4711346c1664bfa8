/**
 * The kthread word (KT_FLAGS) and its state machine, after kernel/kthread.c.
 *
 * Request bits: set and cleared by the controller (main thread) with Atomics.or/and,
 * followed by Atomics.notify on the word:
 *   SHOULD_STOP  kthread_stop() was called; never cleared.
 *   SHOULD_PARK  kthread_park() was called; cleared by kthread_unpark().
 *   CPU_PARK     the bound CPU is going down or is down; set in the smpboot teardown step,
 *                cleared when the CPU is online again. Kept apart from SHOULD_PARK so that an
 *                unpark while the CPU is down leaves the thread parked until cpuUp.
 *   WAKE         wake_up_process(): ends a kt.sleep() early. Set by the controller, or, for
 *                the built-in kworker, by its own worker when a job arrives for it (queue_work
 *                waking the worker); cleared by the thread when it returns from the sleep.
 *
 * State bits: set and cleared by the thread itself (its CPU's worker), then Atomics.notify:
 *   STARTED      the thread function has begun.
 *   PARKED       the thread is inside parkme() and will not execute until the park bits
 *                clear: this is the acknowledgement the controller waits for.
 *   EXITED       the thread function returned or threw; the slot may be reaped.
 *
 * Every transition is a single atomic read-modify-write, so a request and an
 * acknowledgement racing on the word never lose each other's bits. All waiting is done
 * with Atomics.wait/waitAsync on this word, which is why every writer notifies.
 */

export const KtFlag = {
  SHOULD_STOP: 1 << 0,
  SHOULD_PARK: 1 << 1,
  CPU_PARK: 1 << 2,
  WAKE: 1 << 3,
  STARTED: 1 << 8,
  PARKED: 1 << 9,
  EXITED: 1 << 10,
} as const;

/** Either park request: what boundShouldStop() tests with its one load. */
export const PARK_REQUESTS = KtFlag.SHOULD_PARK | KtFlag.CPU_PARK;

export type KthreadStateName = 'created' | 'running' | 'parking' | 'parked' | 'stopping' | 'exited';

export function kthreadStateName(flags: number): KthreadStateName {
  if (flags & KtFlag.EXITED) return 'exited';
  if (flags & KtFlag.SHOULD_STOP) return 'stopping';
  if (flags & KtFlag.PARKED) return 'parked';
  if (!(flags & KtFlag.STARTED)) return 'created';
  if (flags & PARK_REQUESTS) return 'parking';
  return 'running';
}

/** A park request is acknowledged once the thread is PARKED, or can never park (EXITED). */
export function parkAcknowledged(flags: number): boolean {
  return (flags & (KtFlag.PARKED | KtFlag.EXITED)) !== 0;
}

export function setFlags(words: Int32Array, index: number, bits: number): number {
  const before = Atomics.or(words, index, bits);
  Atomics.notify(words, index);
  return before;
}

export function clearFlags(words: Int32Array, index: number, bits: number): number {
  const before = Atomics.and(words, index, ~bits);
  Atomics.notify(words, index);
  return before;
}
