/**
 * What a benchmark run measures and for how long: the full run (minutes, for numbers worth
 * comparing) and --quick (seconds, a smoke run for CI that proves every path works).
 */

import { STRATEGIES, type StrategyName } from '../src/hotplug/strategies/strategy.js';

/** The reference every strategy is compared with. */
export const REFERENCE_STRATEGY: StrategyName = 'park';

export const DEFAULT_CPUS: readonly number[] = [1, 2, 4];

export interface BenchSettings {
  readonly cpus: readonly number[];
  /** Always includes REFERENCE_STRATEGY, first. */
  readonly strategies: readonly StrategyName[];
  readonly quick: boolean;
  /** Down/up cycles per strategy, CPU count and load: this many cpuDown and as many cpuUp. */
  readonly hotplugCycles: number;
  /** Rounds of the fast path, each strategy in its own runtime per round (see FastPathSamples). */
  readonly fastPath: { readonly rounds: number; readonly warmupMs: number; readonly windows: number; readonly windowMs: number };
  /** Length of each of the three disruption/churn windows (before, during, after). */
  readonly churnWindowMs: number;
}

export interface SettingsRequest {
  readonly cpus?: readonly number[];
  readonly strategies?: readonly StrategyName[];
  readonly quick?: boolean;
  readonly hotplugCycles?: number;
}

const FULL = { hotplugCycles: 200, rounds: 5, warmupMs: 200, windows: 4, windowMs: 250, churnWindowMs: 2000 };
const QUICK = { hotplugCycles: 20, rounds: 1, warmupMs: 50, windows: 4, windowMs: 50, churnWindowMs: 250 };

export function benchSettings(request: SettingsRequest = {}): BenchSettings {
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
    fastPath: { rounds: base.rounds, warmupMs: base.warmupMs, windows: base.windows, windowMs: base.windowMs },
    churnWindowMs: base.churnWindowMs,
  };
}
