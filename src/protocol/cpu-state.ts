/**
 * CPU hotplug state and the dormancy handshake, over the per-CPU words of layout.ts.
 *
 * CPU_STATE (controller writes, everyone reads):
 *
 *   OFFLINE -> BRINGUP -> ONLINE -> DOWN_PREPARE -> DYING -> DEAD -> OFFLINE
 *
 *   and FAILED, from any state, when the CPU's worker thread died (an uncaught error,
 *   process.exit, out of memory); cpuUp leaves FAILED through BRINGUP with a fresh worker.
 *
 * Bound kthreads may execute only while their CPU is ONLINE or DOWN_PREPARE: DOWN_PREPARE is
 * the window in which they are asked to park, as in the kernel, where the CPU stays in the
 * online mask until it is dying. The controller moves to DYING only after every bound thread
 * has acknowledged PARKED, so a bound thread seen running in DYING, DEAD, OFFLINE or BRINGUP
 * is an invariant violation, which the worker counts in CPU_VIOLATIONS / KT_VIOLATIONS at
 * the checkpoints each thread passes regularly (workers/kthread-task.ts, checkBound()).
 *
 * CPU_DORMANT (the handshake that makes a dead CPU run no JavaScript at all):
 *
 *   AWAKE           --controller--> SLEEP_REQUESTED   sleep now (after the threads parked)
 *   AWAKE           --controller--> PARK_THEN_SLEEP   sleep once every thread has parked
 *   SLEEP_REQUESTED --worker------> DORMANT           blocked in Atomics.wait
 *   PARK_THEN_SLEEP --worker------> DORMANT           blocked, every bound thread parked
 *   SLEEP_REQUESTED --controller--> AWAKE             withdrawn on its deadline
 *   PARK_THEN_SLEEP --controller--> AWAKE             withdrawn on its deadline
 *   DORMANT         --controller--> WAKE_REQUESTED    released from Atomics.wait
 *   WAKE_REQUESTED  --worker------> AWAKE             running again
 *
 *   and SHUTDOWN, written by the controller from any state, after which the worker exits.
 *
 * The controller writes SLEEP_REQUESTED, PARK_THEN_SLEEP, WAKE_REQUESTED, SHUTDOWN, and
 * AWAKE only to withdraw a request the worker has not taken; the worker writes DORMANT and
 * AWAKE. Each side writes only from the state the other side left, using compareExchange,
 * so neither can overwrite a transition it has not seen. The worker stores DORMANT and calls
 * Atomics.wait in the same synchronous turn: once the controller reads DORMANT, the
 * worker's event loop can run nothing until WAKE_REQUESTED or SHUTDOWN.
 *
 * PARK_THEN_SLEEP is a CPU down in two cross-thread wake-ups instead of four. The controller
 * first sets CPU_PARK on every thread bound to the CPU, then writes PARK_THEN_SLEEP (both
 * sequentially consistent, so a worker that reads PARK_THEN_SLEEP also sees every CPU_PARK).
 * The worker blocks (PARK_THEN_SLEEP -> DORMANT) in the turn in which it finds every thread
 * it runs PARKED or EXITED; the controller waits on this one word, not on each thread's.
 * Within one PARK_THEN_SLEEP a thread that acknowledged stays acknowledged (the controller
 * clears CPU_PARK only after it has withdrawn the request, and no thread is made on the CPU
 * meanwhile: the hotplug lock is held), so the worker checks each thread once. DORMANT here
 * therefore also means "every bound thread acknowledged PARKED". On its deadline the
 * controller withdraws (PARK_THEN_SLEEP -> AWAKE, then clears CPU_PARK); if that
 * compareExchange finds DORMANT, the worker won the race and the park succeeded.
 */

export const CpuState = {
  OFFLINE: 0,
  BRINGUP: 1,
  ONLINE: 2,
  DOWN_PREPARE: 3,
  DYING: 4,
  DEAD: 5,
  FAILED: 6,
} as const;
export type CpuStateValue = (typeof CpuState)[keyof typeof CpuState];

export type CpuStateName = 'offline' | 'bringup' | 'online' | 'down-prepare' | 'dying' | 'dead' | 'failed';

const NAMES: readonly CpuStateName[] = ['offline', 'bringup', 'online', 'down-prepare', 'dying', 'dead', 'failed'];

/** The name of a state word's value; undefined for a value no writer writes (a corrupt word). */
export function cpuStateName(value: number): CpuStateName | undefined {
  return NAMES[value];
}

/** May a bound kthread execute on a CPU in this state? One comparison, used on the hot path. */
export function mayRunBound(state: number): boolean {
  return state === CpuState.ONLINE || state === CpuState.DOWN_PREPARE;
}

export const Dormancy = {
  AWAKE: 0,
  SLEEP_REQUESTED: 1,
  DORMANT: 2,
  WAKE_REQUESTED: 3,
  SHUTDOWN: 4,
  PARK_THEN_SLEEP: 5,
} as const;

/** Controller: AWAKE -> PARK_THEN_SLEEP, after CPU_PARK is set on every thread. False if the worker was not AWAKE. */
export function requestParkThenSleep(words: Int32Array, index: number): boolean {
  if (Atomics.compareExchange(words, index, Dormancy.AWAKE, Dormancy.PARK_THEN_SLEEP) !== Dormancy.AWAKE) return false;
  Atomics.notify(words, index);
  return true;
}

/**
 * Controller, on its deadline: PARK_THEN_SLEEP -> AWAKE, before CPU_PARK is cleared again.
 * True if the worker had taken the request first (DORMANT: every thread parked after all).
 */
export function withdrawParkThenSleep(words: Int32Array, index: number): boolean {
  return Atomics.compareExchange(words, index, Dormancy.PARK_THEN_SLEEP, Dormancy.AWAKE) === Dormancy.DORMANT;
}
