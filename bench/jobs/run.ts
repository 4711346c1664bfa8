/**
 * The job-runtime benchmark: cpuhp's queueWork against piscina's run, at the same thread
 * count, in one run: each workload without churn and under churn, then the dispatch paths.
 *
 * Each measurement gets a fresh runtime or pool, warmed up before it is measured, so nothing
 * one leaves behind colours the next. A measurement that fails is reported and the run goes
 * on; a failure, a cpuhp job lost, or an invariant violation makes the run's verdict a failure.
 */

import { availableParallelism, loadavg } from 'node:os';
import { version as piscinaVersion } from 'piscina';
import { describeError } from '../errors.js';
import type { BenchProgress } from '../task.js';
import type { LoopResult } from './closed-loop.js';
import { compareRuntimes, type CpuhpVersusPiscina } from './compare.js';
import { measureCpuhp } from './cpuhp-target.js';
import { measureCloneCost, type CloneCost } from './dispatch/clone-cost.js';
import { DISPATCH_PATHS, measureDispatchPath, type DispatchPathName } from './dispatch/paths.js';
import type { CpuhpChurn, MeasurePlan, Measurement, PiscinaChurn, RuntimeName } from './measurement.js';
import { measurePiscina, piscinaOptions, type PiscinaOptions } from './piscina-target.js';
import { jobsFor, loadWarning, oversubscriptionWarning, type JobBenchSettings } from './settings.js';
import { TRIVIAL, WORKLOADS, type WorkloadName } from './workloads.js';

export interface JobRow {
  readonly workload: WorkloadName;
  readonly runtime: RuntimeName;
  readonly churn: boolean;
  /** Null when the measurement failed (listed in failures). */
  readonly loop: LoopResult | null;
  readonly churnDetail: CpuhpChurn | PiscinaChurn | null;
}

export interface DispatchRow {
  readonly path: DispatchPathName;
  readonly requests: string;
  readonly results: string;
  readonly loop: LoopResult | null;
}

export interface JobBenchResult {
  readonly command: 'bench-jobs';
  readonly settings: JobBenchSettings;
  /** os.availableParallelism() */
  readonly cores: number;
  readonly node: string;
  readonly piscina: { readonly version: string; readonly options: PiscinaOptions };
  readonly warnings: readonly string[];
  readonly rows: readonly JobRow[];
  readonly ratios: readonly CpuhpVersusPiscina[];
  readonly dispatchPaths: readonly DispatchRow[];
  /** What copying one request costs each way the dispatch paths copy; null if it failed. */
  readonly cloneCost: CloneCost | null;
  /** Jobs cpuhp did not bring back, over every row: must be 0. */
  readonly cpuhpLost: number;
  /** Invariant violations the cpuhp CPU workers counted: must be 0. */
  readonly violations: number;
  /** One sentence per measurement that could not be done. */
  readonly failures: readonly string[];
  readonly elapsedMs: number;
}

interface Task {
  readonly label: string;
  run(): Promise<void>;
}

const MEASURE: Readonly<Record<RuntimeName, (plan: MeasurePlan) => Promise<Measurement>>> = { cpuhp: measureCpuhp, piscina: measurePiscina };

export function jobBenchWarnings(settings: JobBenchSettings, cores: number): string[] {
  const warnings = [oversubscriptionWarning(settings.threads, cores), loadWarning(loadavg()[0]!, cores)];
  return warnings.filter((w): w is string => w !== undefined);
}

export async function runJobBench(settings: JobBenchSettings, progress?: BenchProgress): Promise<JobBenchResult> {
  const started = performance.now();
  const cores = availableParallelism();
  const warnings = jobBenchWarnings(settings, cores);
  const rows: JobRow[] = [];
  const dispatchPaths: DispatchRow[] = [];
  const tasks: Task[] = [];
  let violations = 0;

  for (const churn of [false, true]) {
    for (const workload of WORKLOADS) {
      for (const runtime of ['cpuhp', 'piscina'] as const) {
        const index = rows.push({ workload: workload.name, runtime, churn, loop: null, churnDetail: null }) - 1;
        const plan: MeasurePlan = { workload, settings, jobs: jobsFor(settings, workload), churn };
        tasks.push({
          label: `${workload.name}, ${runtime}${churn ? `, churn every ${settings.churnIntervalMs} ms` : ''}`,
          run: async () => {
            const measured = await MEASURE[runtime](plan);
            violations += measured.violations;
            rows[index] = { ...rows[index]!, loop: measured.loop, churnDetail: measured.churn };
            // A cpuDown or cpuUp that failed is cpuhp's failure; piscina's close() troubles are what is measured.
            const failed = measured.churn?.runtime === 'cpuhp' ? Object.entries(measured.churn.errors) : [];
            if (failed.length > 0) throw new Error(`hotplug operations failed during the churn: ${failed.map(([m, n]) => `${n}× ${m}`).join('; ')}`);
          },
        });
      }
    }
  }
  for (const path of DISPATCH_PATHS) {
    const index = dispatchPaths.push({ path: path.name, requests: path.requests, results: path.results, loop: null }) - 1;
    const plan: MeasurePlan = { workload: TRIVIAL, settings, jobs: settings.dispatchJobs, churn: false };
    tasks.push({
      label: `dispatch path ${path.name}`,
      run: async () => {
        dispatchPaths[index] = { ...dispatchPaths[index]!, loop: await measureDispatchPath(path, plan) };
      },
    });
  }

  let cloneCost: CloneCost | null = null;
  tasks.push({
    label: 'copy cost of one request: v8.serialize against structuredClone',
    run: async () => {
      cloneCost = measureCloneCost(settings.dispatchJobs);
    },
  });

  const failures: string[] = [];
  progress?.start(tasks.length);
  try {
    for (const task of tasks) {
      progress?.step(task.label);
      try {
        await task.run();
      } catch (error) {
        failures.push(`${task.label}: ${describeError(error)}`);
      }
    }
  } finally {
    progress?.stop();
  }
  return {
    command: 'bench-jobs',
    settings,
    cores,
    node: process.version,
    piscina: { version: piscinaVersion, options: piscinaOptions(settings.threads) },
    warnings,
    rows,
    ratios: compareRuntimes(rows),
    dispatchPaths,
    cloneCost,
    cpuhpLost: rows.filter((r) => r.runtime === 'cpuhp').reduce((sum, r) => sum + (r.loop?.lost ?? 0), 0),
    violations,
    failures,
    elapsedMs: performance.now() - started,
  };
}
