/**
 * The fast-path measurements of one CPU count: every series (the no-check loop, a bound
 * kthread's loop, each strategy's smpboot loop) once per round, each in its own runtime.
 * Round 1 runs every series, then round 2 every one, and so on; each round starts one series
 * later than the one before, so that no series always runs first or right after the same
 * neighbour. Within a round, the series see the same stretch of machine weather: the
 * per-round ratios (fast-path-ratios.ts) are what this order protects.
 */

import type { KthreadHandle, Runtime, StrategyName } from '../src/index.js';
import { plural } from '../src/common/format.js';
import type { FastPathSeries } from './fast-path-ratios.js';
import { FastPathSamples, type FastPathWindows } from './fast-path.js';
import { registerOnEveryCpu, withRuntime } from './runtime-session.js';
import { REFERENCE_STRATEGY } from './settings.js';
import type { Task } from './task.js';

/** A plain kthread export of bench-kthreads.ts, created on every CPU by hand. */
type KthreadExport = 'baseline' | 'bound';

interface Series {
  readonly label: string;
  readonly samples: FastPathSamples;
  readonly strategy: StrategyName;
  /** Starts the series' threads in `rt` and returns them. */
  readonly threads: (rt: Runtime) => Promise<readonly KthreadHandle[]>;
}

export interface FastPathPlan {
  readonly tasks: readonly Task[];
  /** The figures so far (complete once every task has run). */
  series(): FastPathSeries;
}

async function onEveryCpu(rt: Runtime, fn: KthreadExport): Promise<KthreadHandle[]> {
  const threads: KthreadHandle[] = [];
  for (let cpu = 0; cpu < rt.cpuCount; cpu++) threads.push(await rt.kthreadCreateOnCpu(cpu, fn, { name: `${fn}/${cpu}` }));
  return threads;
}

export function planFastPath(cpus: number, strategies: readonly StrategyName[], plan: FastPathWindows & { readonly rounds: number }): FastPathPlan {
  const { rounds } = plan;
  const kthreads = (fn: KthreadExport): Series => ({ label: fn, samples: new FastPathSamples(rounds), strategy: REFERENCE_STRATEGY, threads: (rt) => onEveryCpu(rt, fn) });
  const noCheck = kthreads('baseline');
  const bound = kthreads('bound');
  const smpboot = strategies.map(
    (strategy): Series => ({ label: strategy, samples: new FastPathSamples(rounds), strategy, threads: async (rt) => (await registerOnEveryCpu(rt, 'unit')).threads() }),
  );
  const all = [noCheck, bound, ...smpboot];

  const tasks: Task[] = [];
  for (let round = 1; round <= rounds; round++) {
    const which = rounds === 1 ? 'fast path' : `fast path, round ${round} of ${rounds}`;
    for (let i = 0; i < all.length; i++) {
      const series = all[(i + round - 1) % all.length]!;
      tasks.push({
        label: `${series.label}, ${plural(cpus, 'CPU')}: ${which}`,
        run: async () =>
          (
            await withRuntime(cpus, series.strategy, async (rt) => {
              await series.samples.measure(rt, await series.threads(rt), plan, round);
            })
          ).violations,
      });
    }
  }
  return {
    tasks,
    series: () => ({
      cpus,
      noCheck: noCheck.samples.result() ?? null,
      bound: bound.samples.result() ?? null,
      strategies: new Map(smpboot.map((s) => [s.strategy, s.samples.result() ?? null])),
    }),
  };
}
