/** The public types of a Runtime's calls and of what it reports. */

import type { CpuStateName } from './protocol/cpu-state.js';
import type { CpuJobStats, JobStats } from './jobs/workqueue.js';
import type { KthreadHandle, KthreadInfo } from './kthread/registry.js';
import type { LatencySummary } from './controller/latency.js';
import type { CpuUtilization } from './controller/cpu-utilization.js';
import type { StrategyName } from './hotplug/strategies/index.js';

export type { StateCallback, StateCallbacks } from './hotplug/dynamic-states.js';
export type { CpuUtilization } from './controller/cpu-utilization.js';

export interface KthreadCreateOptions {
  /** Thread name, as in `ps`; default `<fn>/<cpu>`. */
  readonly name?: string;
  /** Initial `kt.data`, sent by structured clone. */
  readonly data?: unknown;
}

export interface PerCpuThreadOptions {
  /** Name pattern; `%u` becomes the CPU number. Default `<fn>/%u`. */
  readonly name?: string;
  /** Initial `kt.data` of each thread, sent by structured clone. */
  readonly data?: unknown;
}

export interface PerCpuThreadGroup {
  readonly name: string;
  readonly fn: string;
  /** The group's threads, one per CPU that has been online since registration. */
  threads(): KthreadHandle[];
}

export interface DrainOptions {
  /** Reject after this many ms, saying what is still outstanding; Infinity (or none) waits as long as it takes. */
  readonly timeoutMs?: number;
}

export interface CpuStats {
  readonly cpu: number;
  readonly state: CpuStateName;
  /** The last hotplug step whose startup has run. */
  readonly step: string;
  readonly heartbeat: number;
  readonly dormancies: number;
  readonly violations: number;
  readonly ups: number;
  readonly downs: number;
  readonly rollbacks: number;
  /** Times the CPU's worker died (an uncaught error, process.exit, out of memory, failed by the watchdog). */
  readonly failures: number;
  /** Soft lockups the watchdog found on the CPU (its heartbeat stood still for watchdogMs). */
  readonly lockups: number;
  readonly threads: number;
  readonly jobs: CpuJobStats;
  /**
   * The event-loop utilisation of the CPU's worker since it started (a fresh worker, after a
   * death or a recreate cpuUp, starts again from 0), its dormant time while down counted as
   * idle: piscina's `utilization`, per CPU.
   */
  readonly utilization: CpuUtilization;
}

export interface RuntimeStats {
  readonly strategy: StrategyName;
  readonly cores: number;
  /**
   * controllerPriority at work: 'raised' (the controller thread's nice value lowered),
   * 'workers-lowered' (raising was not permitted, so the CPU workers' was raised), or 'normal'.
   */
  readonly controllerPriority: 'normal' | 'raised' | 'workers-lowered';
  readonly cpus: readonly CpuStats[];
  readonly kthreads: readonly KthreadInfo[];
  readonly latency: { readonly cpuDown: LatencySummary; readonly cpuUp: LatencySummary; readonly park: LatencySummary };
  /** Invariant violations counted by the workers: must be 0. */
  readonly violations: number;
  readonly jobs: JobStats;
  /** Errors thrown by 'trace' listeners: caught, reported once per listener as a process warning. */
  readonly traceListenerErrors: number;
}
