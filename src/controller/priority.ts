/**
 * Keeping a core for the controller. The controller (the main thread) runs every hotplug
 * operation and hands every job over; on a machine with no more cores than CPU workers, and
 * workers that always have work, it waits in the OS run queue behind them, and that wait is
 * most of a CPU down's p99 (issue figures: run-queue wait p99 4.2 ms, 1.5 ms with the
 * controller's priority raised). Two things follow from that:
 *
 * - A runtime whose CPUs are at least the cores available says so once per process
 *   (CPUHP_CPUS_SHARE_CORES), with what to do.
 * - `controllerPriority: 'raised'` raises the controller thread's priority (a nice value 5
 *   lower) where the OS permits it (root, or CAP_SYS_NICE); where it does not, the CPU
 *   workers lower their own instead (a nice value 5 higher, which is always permitted). On
 *   Linux a nice value belongs to one thread, so either way only cpuhp's own threads move.
 *   A worker started later inherits its creator's value, so each worker sets its own from
 *   what the runtime decided at start.
 */

import { availableParallelism, constants, getPriority, setPriority } from 'node:os';
import { emitCpuhpWarning, WARNING_CODES } from '../errors.js';

/** How far the controller is put ahead of its workers, in nice steps. */
export const PRIORITY_STEP = 5;
const LOWEST = constants.priority.PRIORITY_LOW; // 19

export type ControllerPriority = 'normal' | 'raised';
export const CONTROLLER_PRIORITIES: readonly ControllerPriority[] = ['normal', 'raised'];

/** What a runtime did to priorities at start, to undo at shutdown. */
export interface PriorityPlan {
  /** The nice value each CPU worker sets for itself, or undefined to leave it as inherited. */
  readonly workerNice: number | undefined;
  /** How the controller stands: 'raised', 'workers-lowered' (not permitted), or 'normal'. */
  readonly outcome: 'raised' | 'workers-lowered' | 'normal';
  /** Gives the controller thread back the nice value it had (lowering is always permitted). */
  restore(): void;
}

let warnedSharing = false;

/**
 * The caller reports CPUs against cores in its own output (the CLI's commands do, in every
 * report), so the process warning would only repeat it.
 */
export function coreSharingReportedElsewhere(): void {
  warnedSharing = true;
}

/** Says once per process that the controller shares its cores with the CPU workers. */
export function warnIfCpusShareCores(cpus: number, cores = availableParallelism()): boolean {
  if (cpus < cores || warnedSharing) return false;
  warnedSharing = true;
  const keep = cores - 1;
  const advice =
    keep >= 2
      ? `Start at most ${keep} CPUs (the cores less one) to keep a core for it, or pass controllerPriority: 'raised'`
      : `With ${cores} ${cores === 1 ? 'core' : 'cores'}, keeping one for it would leave fewer than 2 CPUs: pass controllerPriority: 'raised' to put it ahead of the workers`;
  emitCpuhpWarning(
    `${cpus} CPU workers on ${cores} ${cores === 1 ? 'core' : 'cores'}: the controller thread, which runs every hotplug operation and hands every job over, ` +
      `waits behind busy workers for a core, which shows in cpuDown/cpuUp and job latency p99. ${advice}`,
    WARNING_CODES.CPUS_SHARE_CORES,
  );
  return true;
}

/** The controller thread's raise, shared by every runtime of the process that asked for it. */
let raised: { base: number; holders: number } | undefined;

/**
 * What `wanted` does to priorities, for one runtime. The controller thread is one per
 * process, so its raise is taken by the first runtime that asks and given back when the
 * last of them has shut down (restore()).
 */
export function planPriority(wanted: ControllerPriority): PriorityPlan {
  const unchanged: PriorityPlan = { workerNice: undefined, outcome: 'normal', restore: () => undefined };
  if (wanted === 'normal') return unchanged;
  if (raised === undefined) {
    let base: number;
    try {
      base = getPriority(0);
    } catch {
      return unchanged; // no notion of priority here: nothing to do
    }
    try {
      setPriority(0, base - PRIORITY_STEP);
    } catch {
      // Not permitted: the workers step back instead.
      return { workerNice: Math.min(LOWEST, base + PRIORITY_STEP), outcome: 'workers-lowered', restore: () => undefined };
    }
    raised = { base, holders: 0 };
  }
  const held = raised;
  held.holders++;
  let restored = false;
  return {
    workerNice: held.base, // workers made from now on would inherit the raised value
    outcome: 'raised',
    restore: () => {
      if (restored) return;
      restored = true;
      if (--held.holders > 0) return;
      raised = undefined;
      try {
        setPriority(0, held.base);
      } catch {
        // it was permitted to raise it; giving it back cannot be refused
      }
    },
  };
}
