/**
 * One measurement of the job benchmark, whatever runtime it measures: a warm-up loop, then
 * the measured closed loop (with the churn clock running for the churn rows), and what the
 * churn did meanwhile.
 */

import type { LatencySummary } from '../../src/index.js';
import type { Summary } from '../histogram.js';
import { runClosedLoop, type LoopPlan, type LoopResult, type Submit } from './closed-loop.js';
import { warmupJobs, type JobBenchSettings } from './settings.js';
import type { Workload } from './workloads.js';

export type RuntimeName = 'cpuhp' | 'piscina' | 'poolifier' | 'tinypool';

export interface MeasurePlan {
  readonly workload: Workload;
  readonly settings: JobBenchSettings;
  /** Jobs of the measured loop. */
  readonly jobs: number;
  /** Run the churn clock during the measured loop. */
  readonly churn: boolean;
}

/** cpuhp under churn: the highest-numbered CPU down at one tick, up at the next. */
export interface CpuhpChurn {
  readonly runtime: 'cpuhp';
  readonly intervalMs: number;
  readonly cpu: number;
  readonly cpuDowns: number;
  readonly cpuUps: number;
  /** Jobs the runtime moved off the CPU going down before they started (JobStats.migrated). */
  readonly movedJobs: number;
  /** rt.stats().latency: from the call of cpuDown/cpuUp to its resolve. */
  readonly cpuDownMs: LatencySummary;
  readonly cpuUpMs: LatencySummary;
  /** Hotplug operations that threw, by kind (tally.ts). */
  readonly errors: Readonly<Record<string, number>>;
}

/** piscina under churn: the pool replaced at every tick (it cannot take one worker out). */
export interface PiscinaChurn {
  readonly runtime: 'piscina';
  readonly intervalMs: number;
  readonly poolsReplaced: number;
  /** From calling the old pool's close() to its resolve. */
  readonly closeMs: Summary | null;
  /**
   * Jobs whose rejection the caller had already received when their result came back: they
   * ran. piscina reports each as an 'error' event "Unexpected message from Worker".
   */
  readonly resultsAfterRejection: number;
  /** close() calls that rejected, and the pools' other 'error' events, by kind (tally.ts). */
  readonly errors: Readonly<Record<string, number>>;
}

export interface Measurement {
  readonly loop: LoopResult;
  readonly churn: CpuhpChurn | PiscinaChurn | null;
  /** Invariant violations the cpuhp CPU workers counted (always 0 for piscina). */
  readonly violations: number;
}

export function loopPlan(settings: JobBenchSettings, jobs: number): LoopPlan {
  return { concurrency: settings.concurrency, jobs, settleTimeoutMs: settings.settleTimeoutMs };
}

export function measuredLoop(plan: MeasurePlan): LoopPlan {
  return loopPlan(plan.settings, plan.jobs);
}

/** Warms the JIT and the threads up with unmeasured jobs; a runtime that loses one there fails the measurement. */
export async function warmUp(plan: MeasurePlan, submit: Submit): Promise<void> {
  const result = await runClosedLoop(plan.workload, submit, loopPlan(plan.settings, warmupJobs(plan.jobs)));
  if (result.lost > 0) {
    const why = Object.keys(result.errors)[0] ?? (result.wrong > 0 ? 'a wrong result' : 'no answer');
    throw new Error(`${result.lost} of ${result.submitted} warm-up jobs did not come back (${why})`);
  }
}
