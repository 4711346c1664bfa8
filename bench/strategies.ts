/**
 * The strategy benchmark: every strategy in STRATEGIES, at every CPU count asked for, on the
 * same per-CPU thread code, in one run, compared as ratios with `park` measured in that run;
 * the fast path decided against its goals from per-round ratios (fast-path-plan.ts,
 * fast-path-ratios.ts); and beside them the floors: hotplug latency by threads per CPU
 * (hotplug-threads.ts) next to one wake-up round trip (wake-round-trip.ts), and Runtime.start
 * next to starting as many bare workers (start-time.ts).
 *
 * Each measurement gets a fresh runtime, so nothing one leaves behind (parked threads,
 * warmed or cold JIT, a stuck CPU) colours the next. A measurement that fails is reported
 * and the run goes on: one broken strategy must not hide the figures of the others.
 */

import { availableParallelism } from 'node:os';
import type { StrategyName } from '../src/index.js';
import { plural } from '../src/common/format.js';
import { measureChurn, type ChurnResult } from './churn.js';
import type { FastPathResult } from './fast-path.js';
import { planFastPath, type FastPathPlan } from './fast-path-plan.js';
import { fastPathRatios, NO_CHECK, type FastPathRatio } from './fast-path-ratios.js';
import type { Summary } from './histogram.js';
import { measureHotplug, type HotplugLatency } from './hotplug.js';
import { registerOnEveryCpu, withRuntime, type PerCpuExport } from './runtime-session.js';
import { threadsPerCpuTasks, type ThreadsPerCpuRow } from './hotplug-threads.js';
import { type BenchSettings } from './settings.js';
import { compareWithReference, type VersusReference } from './compare.js';
import { StartTimeSamples, startTimeTasks, type StartTimeRow } from './start-time.js';
import { runTasks, type BenchProgress, type Task } from './task.js';
import { measureWakeRoundTrip } from './wake-round-trip.js';
import { controllerPriorityTasks, type ControllerPriorityRow } from './controller-priority.js';
import { loadWarningsNow } from './load.js';

export type { BenchProgress } from './task.js';

export interface BaselineRow {
  readonly cpus: number;
  /** The series on every CPU; null if the measurement failed. */
  readonly fastPath: FastPathResult | null;
}

export type Load = 'idle' | 'busy';

export interface StrategyRow {
  readonly strategy: StrategyName;
  readonly cpus: number;
  /** The `unit` per-CPU thread; null if the measurement failed. */
  readonly fastPath: FastPathResult | null;
  /** The median of the per-round ratios to the no-check loop at the same CPU count (fast-path-ratios.ts): the price of the check. */
  readonly fastPathVsBaseline: number | null;
  /** Per load; a load whose measurement failed, or that was skipped, is null. */
  readonly hotplug: Readonly<Record<Load, HotplugLatency | null>>;
  readonly churn: ChurnResult | null;
  /** Why hotplug, disruption and churn were not measured (a single CPU cannot go down). */
  readonly skipped: string | null;
}

export interface StrategyBenchResult {
  readonly command: 'bench';
  readonly settings: BenchSettings;
  /** os.availableParallelism() */
  readonly cores: number;
  readonly node: string;
  readonly warnings: readonly string[];
  /** The no-check loop (`baseline` kthread) on every CPU. */
  readonly baselines: readonly BaselineRow[];
  /** A bound kthread's own loop (`bound`) on every CPU. */
  readonly bound: readonly BaselineRow[];
  readonly rows: readonly StrategyRow[];
  /** The per-round fast-path ratios and what they decide (fast-path-ratios.ts). */
  readonly fastPathRatios: readonly FastPathRatio[];
  readonly versusReference: readonly VersusReference[];
  readonly threadsPerCpu: readonly ThreadsPerCpuRow[];
  /** The floor of a cpuDown: one main↔worker wake-up round trip; null if it failed. */
  readonly wakeRoundTrip: Summary | null;
  readonly startTime: readonly StartTimeRow[];
  /** controllerPriority 'normal' against 'raised', every CPU busy (controller-priority.ts). */
  readonly controllerPriority: readonly ControllerPriorityRow[];
  /** Invariant violations the CPU workers counted, over every runtime of the run: must be 0. */
  readonly violations: number;
  /** One sentence per measurement that could not be done; empty when all were. */
  readonly failures: readonly string[];
  /** The run was stopped early (Ctrl-C): the rows hold what was measured until then. */
  readonly interrupted: boolean;
  /** The measurements not done because the run was stopped, the one under way first. */
  readonly notDone: readonly string[];
  readonly elapsedMs: number;
}

export const SINGLE_CPU_SKIP = 'hotplug latency, disruption and churn skipped: the last online CPU cannot go down, so 1 CPU has none to take down';

/** CPUs that outnumber cores share them, so their figures include OS time-slicing. */
export function oversubscriptionWarnings(cpus: readonly number[], cores: number): string[] {
  return cpus
    .filter((n) => n > cores)
    .map(
      (n) =>
        `warning: ${plural(n, 'CPU')} on ${plural(cores, 'core')}: the CPU workers (and the controller) share cores, ` +
        `so the ${n}-CPU figures include OS time-slicing between workers, not only cpuhp's own work`,
    );
}

export const LOADS: readonly Load[] = ['idle', 'busy'];
/** The per-CPU thread each load runs on every CPU. */
const LOAD_THREADS: Readonly<Record<Load, PerCpuExport>> = { idle: 'idle', busy: 'busy' };

/** A row while its measurements fill it in; the fast path is gathered apart, over rounds. */
interface MutableRow {
  readonly strategy: StrategyName;
  readonly cpus: number;
  readonly hotplug: Record<Load, HotplugLatency | null>;
  churn: ChurnResult | null;
  readonly skipped: string | null;
}

/** Disruption, churn and hotplug latency of one strategy at one CPU count. */
function hotplugTasks(row: MutableRow, settings: BenchSettings): Task[] {
  const name = `${row.strategy}, ${plural(row.cpus, 'CPU')}`;
  const tasks: Task[] = [
    {
      label: `${name}: disruption and churn`,
      run: async () =>
        (
          await withRuntime(row.cpus, row.strategy, async (rt) => {
            row.churn = await measureChurn(rt, await registerOnEveryCpu(rt, 'unit'), settings.churnWindowMs);
          })
        ).violations,
    },
  ];
  for (const load of LOADS) {
    tasks.push({
      label: `${name}: hotplug latency, ${load}`,
      run: async () =>
        (
          await withRuntime(row.cpus, row.strategy, async (rt) => {
            await registerOnEveryCpu(rt, LOAD_THREADS[load]);
            row.hotplug[load] = await measureHotplug(rt, settings.hotplugCycles);
          })
        ).violations,
    });
  }
  return tasks;
}

/** `stop` ends the run early (Ctrl-C): the result holds what was measured until then. */
export async function runStrategyBench(settings: BenchSettings, progress?: BenchProgress, stop?: AbortSignal): Promise<StrategyBenchResult> {
  const started = performance.now();
  const cores = availableParallelism();
  const loadAtStart = loadWarningsNow(cores, 'started');
  const plans: FastPathPlan[] = [];
  const rows: MutableRow[] = [];
  const threadsRows: ThreadsPerCpuRow[] = [];
  const priorityRows: ControllerPriorityRow[] = [];
  const startSamples = new StartTimeSamples(settings.startTime.cpus, settings.startTime.repeats);
  let wakeRoundTrip: Summary | null = null;

  const tasks: Task[] = [
    {
      label: `floor: ${plural(settings.wakeRoundTrips, 'main↔worker wake-up round trip')}`,
      run: async () => {
        wakeRoundTrip = await measureWakeRoundTrip(settings.wakeRoundTrips);
        return 0;
      },
    },
  ];
  for (const cpus of settings.cpus) {
    const plan = planFastPath(cpus, settings.strategies, settings.fastPath);
    plans.push(plan);
    tasks.push(...plan.tasks);
    for (const strategy of settings.strategies) {
      const row: MutableRow = { strategy, cpus, hotplug: { idle: null, busy: null }, churn: null, skipped: cpus < 2 ? SINGLE_CPU_SKIP : null };
      rows.push(row);
      if (row.skipped === null) tasks.push(...hotplugTasks(row, settings));
    }
  }
  tasks.push(...threadsPerCpuTasks(settings, threadsRows), ...startTimeTasks(settings.startTime, startSamples), ...controllerPriorityTasks(settings, priorityRows));

  const { violations, failures, notDone } = await runTasks(tasks, progress, stop);

  const series = plans.map((p) => p.series());
  const ratios = fastPathRatios(series, settings.fastPath.goals);
  const finished: StrategyRow[] = rows.map((row) => {
    const fastPath = series.find((s) => s.cpus === row.cpus)?.strategies.get(row.strategy) ?? null;
    const vsNoCheck = ratios.find((r) => r.cpus === row.cpus && r.numerator === row.strategy && r.denominator === NO_CHECK);
    return { ...row, fastPath, fastPathVsBaseline: vsNoCheck?.spread?.median ?? null };
  });
  return {
    command: 'bench',
    settings,
    cores,
    node: process.version,
    warnings: [...oversubscriptionWarnings(settings.cpus, cores), ...loadAtStart, ...loadWarningsNow(cores, 'ended')],
    baselines: series.map((s) => ({ cpus: s.cpus, fastPath: s.noCheck })),
    bound: series.map((s) => ({ cpus: s.cpus, fastPath: s.bound })),
    rows: finished,
    fastPathRatios: ratios,
    versusReference: compareWithReference(finished),
    threadsPerCpu: threadsRows,
    wakeRoundTrip,
    startTime: startSamples.rows(cores, settings.startTime.goal),
    controllerPriority: priorityRows,
    violations,
    failures,
    interrupted: notDone.length > 0,
    notDone,
    elapsedMs: performance.now() - started,
  };
}
