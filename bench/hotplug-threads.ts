/**
 * Hotplug latency by threads per CPU: at a fixed CPU count, every CPU given 1, 8 or 64 idle
 * per-CPU threads (each one unit after every unpark, then asleep), so that what a cpuDown
 * and a cpuUp cost per thread of the CPU shows; every strategy measured, each count in its
 * own runtime.
 */

import type { StrategyName } from '../src/index.js';
import { plural } from '../src/common/format.js';
import { measureHotplug, type HotplugLatency } from './hotplug.js';
import { registerGroupsOnEveryCpu, withRuntime } from './runtime-session.js';
import type { BenchSettings } from './settings.js';
import type { Task } from './task.js';

/** Hotplug latency with `threadsPerCpu` idle per-CPU threads on every CPU. */
export interface ThreadsPerCpuRow {
  readonly strategy: StrategyName;
  readonly cpus: number;
  readonly threadsPerCpu: number;
  /** Null if the measurement failed. */
  readonly hotplug: HotplugLatency | null;
}

/** One task per strategy and thread count; each fills its row of `rows` in. */
export function threadsPerCpuTasks(settings: BenchSettings, rows: ThreadsPerCpuRow[]): Task[] {
  const { cpus, counts, cycles } = settings.threadsPerCpu;
  return settings.strategies.flatMap((strategy) =>
    counts.map((threadsPerCpu): Task => {
      const index = rows.push({ strategy, cpus, threadsPerCpu, hotplug: null }) - 1;
      return {
        label: `${strategy}, ${plural(cpus, 'CPU')}: hotplug latency, ${plural(threadsPerCpu, 'idle thread')} per CPU`,
        run: async () =>
          (
            await withRuntime(
              cpus,
              strategy,
              async (rt) => {
                await registerGroupsOnEveryCpu(rt, 'idle', threadsPerCpu);
                rows[index] = { ...rows[index]!, hotplug: await measureHotplug(rt, cycles) };
              },
              cpus * threadsPerCpu,
            )
          ).violations,
      };
    }),
  );
}
