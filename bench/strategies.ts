/**
 * The strategy benchmark: every strategy in STRATEGIES, at every CPU count asked for, on the
 * same per-CPU thread code, in one run, compared as ratios with `park` measured in that run.
 *
 * Each measurement gets a fresh runtime, so nothing one leaves behind (parked threads,
 * warmed or cold JIT, a stuck CPU) colours the next. A measurement that fails is reported
 * and the run goes on: one broken strategy must not hide the figures of the others.
 */

import { availableParallelism } from 'node:os';
import type { KthreadHandle, StrategyName } from '../src/index.js';
import { plural } from '../src/common/format.js';
import { measureChurn, type ChurnResult } from './churn.js';
import { FastPathSamples, type FastPathResult } from './fast-path.js';
import { measureHotplug, type HotplugLatency } from './hotplug.js';
import { registerOnEveryCpu, withRuntime, type PerCpuExport, type Session } from './runtime-session.js';
import { REFERENCE_STRATEGY, type BenchSettings } from './settings.js';
import { compareWithReference, type VersusReference } from './compare.js';
import { describeError } from './errors.js';

export interface BaselineRow {
  readonly cpus: number;
  /** The `baseline` kthread (no park check) on every CPU; null if the measurement failed. */
  readonly fastPath: FastPathResult | null;
}

export type Load = 'idle' | 'busy';

export interface StrategyRow {
  readonly strategy: StrategyName;
  readonly cpus: number;
  /** The `unit` per-CPU thread; null if the measurement failed. */
  readonly fastPath: FastPathResult | null;
  /** Median ns per iteration over the baseline's at the same CPU count: the price of the check. */
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
  readonly baselines: readonly BaselineRow[];
  readonly rows: readonly StrategyRow[];
  readonly versusReference: readonly VersusReference[];
  /** Invariant violations the CPU workers counted, over every runtime of the run: must be 0. */
  readonly violations: number;
  /** One sentence per measurement that could not be done; empty when all were. */
  readonly failures: readonly string[];
  readonly elapsedMs: number;
}

/** Told before each measurement; `total` first, once. */
export interface BenchProgress {
  start(total: number): void;
  step(label: string): void;
  stop(): void;
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

interface Task {
  readonly label: string;
  /** Resolves with the runtime's session: its invariant violations are added up. */
  run(): Promise<Session<void>>;
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

export async function runStrategyBench(settings: BenchSettings, progress?: BenchProgress): Promise<StrategyBenchResult> {
  const started = performance.now();
  const cores = availableParallelism();
  const baselineAt = new Map<number, FastPathSamples>();
  const measured: Array<{ readonly row: MutableRow; readonly samples: FastPathSamples }> = [];
  const tasks: Task[] = [];

  for (const cpus of settings.cpus) {
    const name = (who: string): string => `${who}, ${plural(cpus, 'CPU')}`;
    const fastPathRows = settings.strategies.map((strategy) => {
      const row: MutableRow = { strategy, cpus, hotplug: { idle: null, busy: null }, churn: null, skipped: cpus < 2 ? SINGLE_CPU_SKIP : null };
      return { row, samples: new FastPathSamples() };
    });
    measured.push(...fastPathRows);
    const baselineSamples = new FastPathSamples();
    baselineAt.set(cpus, baselineSamples);

    const { rounds } = settings.fastPath;
    for (let round = 1; round <= rounds; round++) {
      const which = rounds === 1 ? 'fast path' : `fast path, round ${round} of ${rounds}`;
      tasks.push({
        label: `${name('baseline')}: ${which}`,
        run: () =>
          withRuntime(cpus, REFERENCE_STRATEGY, async (rt) => {
            const threads: KthreadHandle[] = [];
            for (let cpu = 0; cpu < cpus; cpu++) threads.push(await rt.kthreadCreateOnCpu(cpu, 'baseline', { name: `baseline/${cpu}` }));
            await baselineSamples.measure(rt, threads, settings.fastPath);
          }),
      });
      for (const { row, samples } of fastPathRows) {
        tasks.push({
          label: `${name(row.strategy)}: ${which}`,
          run: () =>
            withRuntime(cpus, row.strategy, async (rt) => {
              const group = await registerOnEveryCpu(rt, 'unit');
              await samples.measure(rt, group.threads(), settings.fastPath);
            }),
        });
      }
    }

    if (cpus < 2) continue;
    for (const { row } of fastPathRows) {
      tasks.push({
        label: `${name(row.strategy)}: disruption and churn`,
        run: () =>
          withRuntime(cpus, row.strategy, async (rt) => {
            row.churn = await measureChurn(rt, await registerOnEveryCpu(rt, 'unit'), settings.churnWindowMs);
          }),
      });
      for (const load of LOADS) {
        tasks.push({
          label: `${name(row.strategy)}: hotplug latency, ${load}`,
          run: () =>
            withRuntime(cpus, row.strategy, async (rt) => {
              const group = await registerOnEveryCpu(rt, LOAD_THREADS[load]);
              row.hotplug[load] = await measureHotplug(rt, group, { cycles: settings.hotplugCycles, waitForWork: load === 'busy' });
            }),
        });
      }
    }
  }

  const failures: string[] = [];
  let violations = 0;
  progress?.start(tasks.length);
  try {
    for (const task of tasks) {
      progress?.step(task.label);
      try {
        violations += (await task.run()).violations;
      } catch (error) {
        failures.push(`${task.label}: ${describeError(error)}`);
      }
    }
  } finally {
    progress?.stop();
  }
  const baselines = new Map([...baselineAt].map(([cpus, samples]) => [cpus, samples.result() ?? null]));
  const finished: StrategyRow[] = measured.map(({ row, samples }) => {
    const fastPath = samples.result() ?? null;
    const baseline = baselines.get(row.cpus) ?? null;
    const fastPathVsBaseline = fastPath !== null && baseline !== null ? fastPath.nsPerIteration.median / baseline.nsPerIteration.median : null;
    return { ...row, fastPath, fastPathVsBaseline };
  });
  return {
    command: 'bench',
    settings,
    cores,
    node: process.version,
    warnings: oversubscriptionWarnings(settings.cpus, cores),
    baselines: settings.cpus.map((cpus) => ({ cpus, fastPath: baselines.get(cpus) ?? null })),
    rows: finished,
    versusReference: compareWithReference(finished),
    violations,
    failures,
    elapsedMs: performance.now() - started,
  };
}
