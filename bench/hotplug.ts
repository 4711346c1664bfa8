/**
 * Hotplug latency: cpuDown and cpuUp, each timed from the caller's side (call to resolve),
 * over CPUs 1..n-1 in turn. CPU 0 stays up throughout, as the boot CPU usually does, so no
 * operation is ever refused for taking the last online CPU down.
 *
 * After each cpuUp, and before the first cpuDown, every thread bound to the CPU must have
 * run a unit since it came back (its iteration counter moved, rt.waitForIterations), so that
 * the next cpuDown meets threads that ran on the CPU as it is now: a busy thread in the middle
 * of its work, an idle one asleep again after its unit, not threads still waking from the
 * last park.
 *
 * Beside each latency, the controller's own JavaScript per operation: the main thread's
 * event-loop active time over the call (performance.eventLoopUtilization). While the call
 * waits on a worker (Atomics.waitAsync) the main thread's loop is idle, so what is active is
 * the controller's work: the hotplug lock, the step machinery, the promise chains, and the
 * few statements of this loop around the call.
 */

import { performance } from 'node:perf_hooks';
import type { KthreadHandle, Runtime } from '../src/index.js';
import { Samples, type Summary } from './histogram.js';

/** Latencies are kept to the microsecond, the resolution the runtime's own histograms use. */
const MS_RESOLUTION = 0.001;
/** As long as the runtime gives a hotplug step: a thread slower than that is stuck, not slow. */
const RESUME_TIMEOUT_MS = 5000;

export interface HotplugLatency {
  readonly cpuDown: Summary;
  readonly cpuUp: Summary;
  /** The main thread's event-loop active time over each cpuDown / cpuUp, ms: the controller's JavaScript. */
  readonly controller?: { readonly cpuDown: Summary; readonly cpuUp: Summary };
}

/** CPUs the benchmark takes down, in turn: every CPU but 0. */
export function hotpluggableCpus(cpus: number): number[] {
  return Array.from({ length: cpus - 1 }, (_, i) => i + 1);
}

/** The samples of one or more measureHotplug calls: a row measured over several runtimes records into one. */
export class HotplugSamples {
  readonly down = new Samples(MS_RESOLUTION);
  readonly up = new Samples(MS_RESOLUTION);
  readonly downWork = new Samples(MS_RESOLUTION);
  readonly upWork = new Samples(MS_RESOLUTION);

  /** Undefined until a cycle was recorded. */
  summary(): HotplugLatency | undefined {
    const [cpuDown, cpuUp, downWork, upWork] = [this.down.summary(), this.up.summary(), this.downWork.summary(), this.upWork.summary()];
    if (cpuDown === undefined || cpuUp === undefined) return undefined;
    return { cpuDown, cpuUp, ...(downWork !== undefined && upWork !== undefined ? { controller: { cpuDown: downWork, cpuUp: upWork } } : {}) };
  }
}

/** `cycles` down/up cycles, recorded into `samples` (fresh unless given); resolves with everything `samples` holds. */
export async function measureHotplug(rt: Runtime, cycles: number, samples = new HotplugSamples()): Promise<HotplugLatency> {
  const targets = hotpluggableCpus(rt.cpuCount);
  if (targets.length === 0) throw new Error('hotplug latency needs at least 2 CPUs: the last online CPU cannot go down');
  if (!(cycles >= 1)) throw new Error(`hotplug latency needs at least 1 cycle, not ${cycles}`);
  const { down, up, downWork, upWork } = samples;
  for (const cpu of targets) await untilEveryThreadRan(rt, cpu, new Map(), 'its threads started');
  for (let cycle = 0; cycle < cycles; cycle++) {
    const cpu = targets[cycle % targets.length]!;
    const before = iterationsById(rt, cpu);
    let work = performance.eventLoopUtilization();
    let started = performance.now();
    await rt.cpuDown(cpu);
    down.record(performance.now() - started);
    downWork.record(performance.eventLoopUtilization(work).active);
    work = performance.eventLoopUtilization();
    started = performance.now();
    await rt.cpuUp(cpu);
    up.record(performance.now() - started);
    upWork.record(performance.eventLoopUtilization(work).active);
    await untilEveryThreadRan(rt, cpu, before, `cpuUp(${cpu})`);
  }
  return samples.summary()!;
}

function iterationsById(rt: Runtime, cpu: number): Map<number, number> {
  return new Map(rt.kthreadList(cpu).map((t) => [t.id, rt.kthreadInfo(t).iterations]));
}

/**
 * Waits on each thread's counter (Atomics) until it has done one unit more than `before`
 * says it had. Threads are looked up afresh: a strategy that recreates threads on cpuUp hands
 * out new handles, whose counters start at 0.
 */
async function untilEveryThreadRan(rt: Runtime, cpu: number, before: ReadonlyMap<number, number>, since: string): Promise<void> {
  const threads = rt.kthreadList(cpu);
  if (threads.length === 0) throw new Error(`no thread on CPU ${cpu} after ${since}`);
  const late = await Promise.all(threads.map(async (t: KthreadHandle) => ((await rt.waitForIterations(t, (before.get(t.id) ?? 0) + 1, RESUME_TIMEOUT_MS)) ? undefined : t)));
  const stuck = late.filter((t): t is KthreadHandle => t !== undefined);
  if (stuck.length > 0) {
    const named = stuck.slice(0, 3).map((t) => `${t.name} (${rt.kthreadInfo(t).state})`);
    throw new Error(`${named.join(', ')}${stuck.length > 3 ? ` and ${stuck.length - 3} more` : ''} did not run within ${RESUME_TIMEOUT_MS} ms after ${since}`);
  }
}
