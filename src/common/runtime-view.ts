/**
 * What the shared invariant checks (invariants.ts) read of a runtime, by shape. src/common/
 * stands below the runtime (protocol < errors/trace/common < controller, kthread, jobs,
 * hotplug < runtime), so it names the read-only queries it needs instead of importing
 * `Runtime`; a `Runtime` is each of these views (test/unit/common-invariants.test.ts holds
 * it to that), and a test can hand the checks a plain object.
 */

import type { CpuStateName } from '../protocol/cpu-state.js';
import type { KthreadStateName } from '../protocol/kthread-state.js';

/** Whether a CPU's worker runs JavaScript: `rt.isDormant`, `rt.hasWorker`. */
export interface WorkerView {
  isDormant(cpu: number): boolean;
  hasWorker(cpu: number): boolean;
}

/** One CPU as `rt.stats().cpus[n]` reports it. */
export interface CpuStatsView {
  readonly state: CpuStateName;
  /** The last hotplug step whose startup has run. */
  readonly step: string;
}

/** What the checks read of `rt.stats()`. */
export interface StatsView {
  readonly cpus: readonly CpuStatsView[];
  /** The workers' own count of bound-thread work done while its CPU was not online. */
  readonly violations: number;
}

/** The runtime's three views of a CPU, and its worker. */
export interface CpuView extends WorkerView {
  cpuState(cpu: number): CpuStateName;
  onlineCpus(): readonly number[];
  stats(): StatsView;
}

/** One thread as `rt.kthreadInfo()` reports it. */
export interface ThreadView {
  readonly name: string;
  readonly cpu: number;
  readonly state: KthreadStateName;
  readonly iterations: number;
  /** Units of work it did while its CPU was not online, as its worker counted them. */
  readonly violations: number;
  /** The CPU it last ran on. */
  readonly lastCpu: number;
}

/** What waiting for a thread to run needs: `rt.waitForIterations` and `rt.kthreadInfo`, for the runtime's handle type `H`. */
export interface ProgressView<H> {
  waitForIterations(thread: H, atLeast: number, timeoutMs: number): Promise<boolean>;
  kthreadInfo(thread: H): ThreadView;
}
