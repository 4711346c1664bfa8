/**
 * What a benchmark run measures and for how long: the full run (minutes, for numbers worth
 * comparing) and --quick (seconds, a smoke run for CI that proves every path works).
 */

import { availableParallelism } from 'node:os';
import { STRATEGIES, type StrategyName } from '../src/hotplug/strategies/strategy.js';

/** The reference every strategy is compared with. */
export const REFERENCE_STRATEGY: StrategyName = 'park';

export const DEFAULT_CPUS: readonly number[] = [1, 2, 4];

/** Threads per CPU of the hotplug-latency rows by thread count, measured at HOTPLUG_THREADS_CPUS CPUs. */
export const DEFAULT_THREADS_PER_CPU: readonly number[] = [1, 8, 64];
export const HOTPLUG_THREADS_CPUS = 2;

/**
 * The goals the fast-path ratios are decided against (issue 11, "Hotplug at the floor"):
 * each an upper bound on the median per-round ratio.
 */
export interface FastPathGoals {
  /** Any strategy's smpboot loop ÷ the loop with no check. */
  readonly smpbootVsNoCheck: number;
  /** A bound kthread's own loop (boundShouldStop() per unit) ÷ the loop with no check. */
  readonly boundVsNoCheck: number;
  /** percpu-rwsem's smpboot loop ÷ park's. */
  readonly readSideVsPark: number;
}

export const FAST_PATH_GOALS: FastPathGoals = { smpbootVsNoCheck: 1.2, boundVsNoCheck: 1.15, readSideVsPark: 1.15 };
/** Runtime.start ÷ as many bare workers started at once (issue 11). */
export const START_TIME_GOAL = 1.3;

export interface BenchSettings {
  readonly cpus: readonly number[];
  /** Always includes REFERENCE_STRATEGY, first. */
  readonly strategies: readonly StrategyName[];
  readonly quick: boolean;
  /** Down/up cycles per strategy, CPU count and load: this many cpuDown and as many cpuUp. */
  readonly hotplugCycles: number;
  /**
   * Rounds of the fast path, each series (no-check loop, bound kthread, every strategy) in
   * its own runtime per round, taking turns (see FastPathSamples); per-round ratios are
   * decided against `goals` (fast-path-ratios.ts).
   */
  readonly fastPath: { readonly rounds: number; readonly warmupMs: number; readonly windows: number; readonly windowMs: number; readonly goals: FastPathGoals };
  /** Length of each of the three disruption/churn windows (before, during, after). */
  readonly churnWindowMs: number;
  /** Hotplug latency with this many idle threads per CPU, at `cpus` CPUs, `cycles` down/up cycles each. */
  readonly threadsPerCpu: { readonly cpus: number; readonly counts: readonly number[]; readonly cycles: number };
  /**
   * Runtime.start against as many bare workers started at once, `repeats` times each, taking
   * turns; the per-repeat ratio is decided against `goal` (issue 11: within 1.3× of the bare workers).
   */
  readonly startTime: { readonly cpus: readonly number[]; readonly repeats: number; readonly goal: number };
  /** Round trips of the main↔worker wake-up floor. */
  readonly wakeRoundTrips: number;
  /**
   * controllerPriority 'normal' against 'raised' (controller-priority.ts): at `cpus` CPUs, as
   * many as the machine has cores (at least 2), every CPU busy; `rounds` rounds per setting,
   * taking turns, of `cycles` down/up cycles each.
   */
  readonly controllerPriority: { readonly cpus: number; readonly rounds: number; readonly cycles: number };
}

export interface SettingsRequest {
  readonly cpus?: readonly number[];
  readonly strategies?: readonly StrategyName[];
  readonly quick?: boolean;
  readonly hotplugCycles?: number;
  readonly rounds?: number;
  readonly threadsPerCpu?: readonly number[];
  readonly startCpus?: readonly number[];
}

// Nine rounds give a sign-test interval of the median ratio at 96% (spread.ts); the windows
// are short because the spread between rounds, not within one, is what decides.
export const FULL = {
  hotplugCycles: 200,
  rounds: 9,
  warmupMs: 150,
  windows: 4,
  windowMs: 150,
  churnWindowMs: 2000,
  threadsCycles: 200,
  startCpus: [2, 4, 8, 16, 32, 64],
  startRepeats: 5,
  wakeRoundTrips: 2000,
  priorityRounds: 4,
  priorityCycles: 100,
} as const;
export const QUICK = {
  hotplugCycles: 20,
  rounds: 3,
  warmupMs: 30,
  windows: 3,
  windowMs: 40,
  churnWindowMs: 250,
  threadsCycles: 10,
  startCpus: [2, 8],
  startRepeats: 2,
  wakeRoundTrips: 200,
  priorityRounds: 1,
  priorityCycles: 10,
} as const;

/** `cores`: os.availableParallelism() of the machine the run is on. */
export function benchSettings(request: SettingsRequest = {}, cores = availableParallelism()): BenchSettings {
  const quick = request.quick ?? false;
  const base = quick ? QUICK : FULL;
  const chosen = request.strategies ?? STRATEGIES;
  // The reference first, then the others in the order STRATEGIES lists them.
  const strategies = [REFERENCE_STRATEGY, ...STRATEGIES.filter((s) => s !== REFERENCE_STRATEGY && chosen.includes(s))];
  return {
    cpus: [...new Set(request.cpus ?? DEFAULT_CPUS)],
    strategies,
    quick,
    hotplugCycles: request.hotplugCycles ?? base.hotplugCycles,
    fastPath: { rounds: request.rounds ?? base.rounds, warmupMs: base.warmupMs, windows: base.windows, windowMs: base.windowMs, goals: FAST_PATH_GOALS },
    churnWindowMs: base.churnWindowMs,
    threadsPerCpu: { cpus: HOTPLUG_THREADS_CPUS, counts: [...new Set(request.threadsPerCpu ?? DEFAULT_THREADS_PER_CPU)], cycles: request.hotplugCycles ?? base.threadsCycles },
    startTime: { cpus: [...new Set(request.startCpus ?? base.startCpus)], repeats: base.startRepeats, goal: START_TIME_GOAL },
    wakeRoundTrips: base.wakeRoundTrips,
    controllerPriority: { cpus: Math.max(2, cores), rounds: base.priorityRounds, cycles: base.priorityCycles },
  };
}
