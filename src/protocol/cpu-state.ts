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
 * is an invariant violation, which the worker counts in CPU_VIOLATIONS / KT_VIOLATIONS.
 *
 * CPU_DORMANT (the handshake that makes a dead CPU run no JavaScript at all):
 *
 *   AWAKE --controller--> SLEEP_REQUESTED --worker--> DORMANT --controller--> WAKE_REQUESTED
 *     ^                                                                           |
 *     +------------------------------------worker---------------------------------+
 *
 *   and SHUTDOWN, written by the controller from any state, after which the worker exits.
 *
 * The controller writes SLEEP_REQUESTED, WAKE_REQUESTED and SHUTDOWN; the worker writes
 * DORMANT and AWAKE. Each side writes only from the state the other side left, using
 * compareExchange, so neither can overwrite a transition it has not seen. The worker
 * stores DORMANT and calls Atomics.wait in the same synchronous turn: once the controller
 * reads DORMANT, the worker's event loop can run nothing until WAKE_REQUESTED or SHUTDOWN.
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

export function cpuStateName(value: number): CpuStateName {
  const name = NAMES[value];
  if (name === undefined) throw new Error(`cpuhp: corrupt CPU state word ${value}`);
  return name;
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
} as const;
