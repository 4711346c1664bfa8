/** A runtime's stats(): what each room counts, gathered into one plain object. */

import { availableParallelism } from 'node:os';
import { cpuBase, CPU_DORMANCIES, CPU_HEARTBEAT, CPU_VIOLATIONS, type Layout } from './protocol/layout.js';
import type { ResolvedOptions } from './controller/options.js';
import type { Workqueue } from './jobs/workqueue.js';
import type { Rooms } from './assemble.js';
import type { CpuStats, RuntimeStats } from './runtime-types.js';

export function collectStats(words: Int32Array, layout: Layout, options: ResolvedOptions, rooms: Rooms, jobs: Workqueue, traceListenerErrors: number): RuntimeStats {
  const { hotplug, machine, registry, kthreads } = rooms;
  const cpus: CpuStats[] = [];
  for (let cpu = 0; cpu < options.cpus; cpu++) {
    const word = (offset: number): number => Atomics.load(words, cpuBase(layout, cpu) + offset);
    cpus.push({
      cpu,
      state: hotplug.state(cpu),
      step: machine.stepOf(cpu),
      heartbeat: word(CPU_HEARTBEAT),
      dormancies: word(CPU_DORMANCIES),
      violations: word(CPU_VIOLATIONS),
      ...hotplug.counters[cpu]!,
      threads: registry.onCpu(cpu).length,
      jobs: jobs.cpuStats(cpu),
      utilization: rooms.workers.of(cpu).utilization(),
    });
  }
  return {
    strategy: options.strategy,
    cores: availableParallelism(),
    controllerPriority: rooms.priority.outcome,
    cpus,
    kthreads: registry.all().map((t) => registry.info(t)),
    latency: { cpuDown: hotplug.downLatency.summary(), cpuUp: hotplug.upLatency.summary(), park: kthreads.parkLatency.summary() },
    violations: cpus.reduce((sum, c) => sum + c.violations, 0),
    jobs: jobs.stats(),
    traceListenerErrors,
  };
}
