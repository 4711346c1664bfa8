/**
 * The trade-off of `controllerPriority` (docs/design.md, "A core for the controller"): at as many
 * CPUs as the machine has cores, every CPU running a busy per-CPU thread, the reference
 * strategy's hotplug latency and the busy threads' work done, with the controller thread at
 * 'normal' and at 'raised' priority. The two settings take turns over `rounds`, each round a
 * fresh runtime per setting, so that a change in the machine's load falls on both alike.
 *
 * What 'raised' buys is the controller's place in the run queue (cpuDown's p99); what it
 * costs is the CPU time the workers lose to it (units per second of the busy threads). The
 * outcome the runtime reports (stats().controllerPriority) is kept: where raising is not
 * permitted, 'raised' lowers the workers' priority instead, and the figures say which ran.
 */

import { performance } from 'node:perf_hooks';
import type { Runtime, RuntimeStats } from '../src/index.js';
import { plural } from '../src/common/format.js';
import { Samples, type Summary } from './histogram.js';
import { HotplugSamples, measureHotplug, type HotplugLatency } from './hotplug.js';
import { registerOnEveryCpu, withRuntime } from './runtime-session.js';
import { REFERENCE_STRATEGY, type BenchSettings } from './settings.js';
import type { Task } from './task.js';

export type ControllerPriorityName = 'normal' | 'raised';
export const CONTROLLER_PRIORITIES: readonly ControllerPriorityName[] = ['normal', 'raised'];
/** Units per second are kept to a thousandth. */
const RESOLUTION = 0.001;

export interface ControllerPriorityRow {
  readonly priority: ControllerPriorityName;
  readonly cpus: number;
  /** What the runtime did with the setting (stats().controllerPriority), per round; a round that failed is absent. */
  readonly outcomes: readonly RuntimeStats['controllerPriority'][];
  /** Over every round (with the controller's JavaScript per operation); null if no round succeeded. */
  readonly hotplug: HotplugLatency | null;
  /** The busy threads' units per second (every CPU's summed) over each round: what the workers got done. */
  readonly unitsPerSecond: Summary | null;
}

class PrioritySamples {
  readonly hotplug = new HotplugSamples();
  readonly units = new Samples(RESOLUTION);
  readonly outcomes: RuntimeStats['controllerPriority'][] = [];
}

function unitsDone(rt: Runtime): number {
  let sum = 0;
  for (let cpu = 0; cpu < rt.cpuCount; cpu++) for (const t of rt.kthreadList(cpu)) sum += rt.kthreadInfo(t).iterations;
  return sum;
}

/** One round of one setting: busy threads on every CPU, `cycles` down/up cycles, in a fresh runtime. */
async function measureRound(cpus: number, priority: ControllerPriorityName, cycles: number, into: PrioritySamples): Promise<number> {
  const session = await withRuntime(
    cpus,
    REFERENCE_STRATEGY,
    async (rt) => {
      await registerOnEveryCpu(rt, 'busy');
      const unitsBefore = unitsDone(rt);
      const started = performance.now();
      await measureHotplug(rt, cycles, into.hotplug);
      const seconds = (performance.now() - started) / 1000;
      return { unitsPerSecond: (unitsDone(rt) - unitsBefore) / seconds, outcome: rt.stats().controllerPriority };
    },
    undefined,
    { controllerPriority: priority },
  );
  const { unitsPerSecond, outcome } = session.value;
  into.units.record(unitsPerSecond);
  into.outcomes.push(outcome);
  return session.violations;
}

/** One task per round and setting, the settings taking turns; `rows` is filled in as they finish. */
export function controllerPriorityTasks(settings: BenchSettings, rows: ControllerPriorityRow[]): Task[] {
  const { cpus, rounds, cycles } = settings.controllerPriority;
  const samples = new Map(CONTROLLER_PRIORITIES.map((p) => [p, new PrioritySamples()] as const));
  const publish = (): void => {
    rows.length = 0;
    for (const [priority, s] of samples) {
      const hotplug = s.hotplug.summary();
      rows.push({ priority, cpus, outcomes: [...s.outcomes], hotplug: hotplug ?? null, unitsPerSecond: s.units.summary() ?? null });
    }
  };
  publish();
  const tasks: Task[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate which setting goes first, so neither always meets the warmer machine.
    const order = round % 2 === 1 ? CONTROLLER_PRIORITIES : [...CONTROLLER_PRIORITIES].reverse();
    for (const priority of order) {
      tasks.push({
        label: `controllerPriority '${priority}', ${plural(cpus, 'CPU')} busy: round ${round} of ${rounds}`,
        run: async () => {
          try {
            return await measureRound(cpus, priority, cycles, samples.get(priority)!);
          } finally {
            publish();
          }
        },
      });
    }
  }
  return tasks;
}
