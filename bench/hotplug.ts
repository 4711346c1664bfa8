/**
 * Hotplug latency: cpuDown and cpuUp, each timed from the caller's side (call to resolve),
 * over CPUs 1..n-1 in turn. CPU 0 stays up throughout, as the boot CPU usually does, so no
 * operation is ever refused for taking the last online CPU down.
 */

import type { PerCpuThreadGroup, Runtime } from '../src/index.js';
import { Samples, type Summary } from './histogram.js';

/** Latencies are kept to the microsecond, the resolution the runtime's own histograms use. */
const MS_RESOLUTION = 0.001;
/** As long as the runtime gives a hotplug step: a thread slower than that is stuck, not slow. */
const RESUME_TIMEOUT_MS = 5000;

export interface HotplugLatency {
  readonly cpuDown: Summary;
  readonly cpuUp: Summary;
}

export interface HotplugPlan {
  readonly cycles: number;
  /**
   * Wait after each cpuUp until the CPU's per-CPU thread has run again, so that the next
   * cpuDown of that CPU meets a thread in the middle of its work, not one still parked.
   * Only for threads that always have work: an idle thread never runs a unit.
   */
  readonly waitForWork: boolean;
}

/** CPUs the benchmark takes down, in turn: every CPU but 0. */
export function hotpluggableCpus(cpus: number): number[] {
  return Array.from({ length: cpus - 1 }, (_, i) => i + 1);
}

export async function measureHotplug(rt: Runtime, group: PerCpuThreadGroup, plan: HotplugPlan): Promise<HotplugLatency> {
  const targets = hotpluggableCpus(rt.cpuCount);
  if (targets.length === 0) throw new Error('hotplug latency needs at least 2 CPUs: the last online CPU cannot go down');
  const down = new Samples(MS_RESOLUTION);
  const up = new Samples(MS_RESOLUTION);
  for (let cycle = 0; cycle < plan.cycles; cycle++) {
    const cpu = targets[cycle % targets.length]!;
    let started = performance.now();
    await rt.cpuDown(cpu);
    down.record(performance.now() - started);
    started = performance.now();
    await rt.cpuUp(cpu);
    up.record(performance.now() - started);
    if (plan.waitForWork) await untilRunsAgain(rt, group, cpu);
  }
  return { cpuDown: down.summary()!, cpuUp: up.summary()! };
}

/**
 * Waits on the thread's counter (Atomics) until it has done one more unit. The thread is
 * looked up afresh: a strategy that recreates threads on cpuUp hands out new handles.
 */
async function untilRunsAgain(rt: Runtime, group: PerCpuThreadGroup, cpu: number): Promise<void> {
  const thread = group.threads().find((t) => t.cpu === cpu);
  if (thread === undefined) throw new Error(`no ${group.fn} thread on CPU ${cpu} after cpuUp(${cpu})`);
  const from = rt.kthreadInfo(thread).iterations;
  if (!(await rt.waitForIterations(thread, from + 1, RESUME_TIMEOUT_MS))) {
    throw new Error(`${thread.name} did not run within ${RESUME_TIMEOUT_MS} ms after cpuUp(${cpu}) (it is ${rt.kthreadInfo(thread).state})`);
  }
}
