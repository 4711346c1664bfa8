/**
 * How long the runtime may legitimately take for each kind of operation, from its own
 * timeouts: the torture calls an operation hung only past that. Every wait of the runtime
 * is bounded by `hotplugTimeoutMs` per step or thread, except a fresh worker loading its
 * modules, which gets max(BOOT_TIMEOUT_MS = 120 s, hotplugTimeoutMs). An operation that takes the hotplug lock
 * may first queue behind others that hold it, so its bound includes theirs.
 *
 * The figures are deliberately generous: they bound progress time (progress-clock.ts), and
 * a bound that is too tight reports a hang that is not one, which is worse than reporting a
 * real hang late.
 */

import { BOOT_TIMEOUT_MS } from '../controller/cpu-workers.js';

/** What the runtime gives a new worker to load its modules. */
const BOOT_MS = BOOT_TIMEOUT_MS;
/** Room for the controller's own work between the runtime's waits. */
const SLACK_MS = 5_000;
/** The wall-clock cap is this many times the progress bound: a deadlock is reported however slowly the loop runs. */
const CAP_FACTOR = 10;
const CAP_EXTRA_MS = 60_000;

export type OpKind =
  /** cpuUp or cpuDown (or a setupState/removeState), which the run serialises among themselves. */
  | 'hotplug'
  /** A thread created or stopped: takes the hotplug lock, so it may wait for a hotplug operation. */
  | 'kthread-locked'
  /** Park, unpark, wake-up, info: no lock, one thread wait at most. */
  | 'kthread'
  /** Queueing jobs: synchronous. */
  | 'queue'
  /** A job awaited to its end, behind whatever its CPU runs first. */
  | 'job';

export interface BoundInputs {
  readonly hotplugTimeoutMs: number;
  readonly cpus: number;
  /** The hotplug steps now: built-in, the run's own, and those the state actor added. */
  readonly steps: number;
  /** Per-CPU thread groups (the kworker, the torture's tkworker). */
  readonly perCpuGroups: number;
  readonly recreate: boolean;
  /** The runtime's watchdog, if it has one; a job queued behind a spinning one waits that long. */
  readonly watchdogMs: number;
}

export interface Bound {
  /** Progress ms (progress-clock.ts). */
  readonly progressMs: number;
  /** Wall-clock ms, far above. */
  readonly capMs: number;
}

/** The longest a CPU up or down may take once it holds the lock, rollback included. */
function hotplugWorst(b: BoundInputs): number {
  const t = b.hotplugTimeoutMs;
  // begin (writer side), each step's callback, one spawn per group, the park or stop of the
  // CPU's threads and their reaping, the dying step's waits, then the same again to roll back.
  const oneWay = t * (2 + b.steps + b.perCpuGroups + 2);
  return Math.max(BOOT_MS, t) + 2 * oneWay;
}

/** What the runtime may do under its lock besides the run's hotplug operations: recovering lost per-CPU threads. */
function recoveryWorst(b: BoundInputs): number {
  return b.cpus * b.perCpuGroups * 2 * b.hotplugTimeoutMs;
}

/** A setupState or removeState: a callback per CPU each way. */
function stateWorst(b: BoundInputs): number {
  return 2 * b.cpus * b.hotplugTimeoutMs;
}

export function boundFor(kind: OpKind, b: BoundInputs): Bound {
  const t = b.hotplugTimeoutMs;
  // Up to two kthread actors' creates or stops (each a start or a stop and a reap) may be queued ahead.
  const kthreadOps = 2 * 2 * t;
  let progressMs: number;
  switch (kind) {
    case 'hotplug':
      progressMs = Math.max(hotplugWorst(b), stateWorst(b)) + kthreadOps + recoveryWorst(b);
      break;
    case 'kthread-locked':
      progressMs = Math.max(hotplugWorst(b), stateWorst(b)) + kthreadOps + recoveryWorst(b) + 2 * t;
      break;
    case 'kthread':
      progressMs = 2 * t;
      break;
    case 'queue':
      progressMs = 0;
      break;
    case 'job':
      // Behind a long job and a spinning one on its CPU, then the worker's death and a fresh
      // one's start when the job kills its worker.
      progressMs = 4 * t + b.watchdogMs + Math.max(BOOT_MS, t);
      break;
  }
  progressMs += SLACK_MS;
  return { progressMs, capMs: CAP_FACTOR * progressMs + CAP_EXTRA_MS };
}
