/**
 * The invariant checks that the demo, torture and the tests share (docs/design.md, "Invariants and
 * how they are checked"): one implementation of each, over what a runtime reports. Each
 * check returns what is wrong, as a sentence naming the CPU or thread and what the
 * runtime said, or undefined (or nothing) when all is well; the caller decides what a
 * problem is to it (a failed demo check, a torture violation, a failed assertion) and says
 * when it looked.
 *
 * - A CPU's worker is quiet (runs no JavaScript) when it is blocked in Atomics.wait or gone.
 * - A CPU that is down is offline, left out of onlineCpus(), its worker quiet (invariant 2).
 * - A CPU that is up is online, listed by onlineCpus(), at the last step of the table.
 * - At rest, a CPU is fully online or fully offline, its worker running exactly when online.
 * - cpuState, onlineCpus() and stats() agree (invariant 5).
 * - A thread of a CPU that is down, or parked by hand, is parked and does no work; once
 *   released it runs again (invariants 1 and 3); it never runs on another CPU.
 * - The workers' own count of bound-thread work on a CPU that was not online stays 0.
 */

import { describeError } from '../describe-value.js';
import type { CpuStateName } from '../protocol/cpu-state.js';
import type { CpuStatsView, CpuView, ProgressView, StatsView, ThreadView, WorkerView } from './runtime-view.js';

/** How a CPU's worker stands: blocked in Atomics.wait (dormant), gone (recreate, or it died), or running. */
export type WorkerStanding = 'blocked' | 'gone' | 'running';

export function workerStanding(rt: WorkerView, cpu: number): WorkerStanding {
  if (!rt.hasWorker(cpu)) return 'gone';
  return rt.isDormant(cpu) ? 'blocked' : 'running';
}

/** A CPU that is down runs no JavaScript: its worker is dormant, or (recreate) gone. */
export function workerIsQuiet(rt: WorkerView, cpu: number): boolean {
  return workerStanding(rt, cpu) !== 'running';
}

/** One CPU as the runtime reports it, read in one synchronous turn. */
export interface CpuReading {
  readonly cpu: number;
  /** `rt.cpuState(cpu)`. */
  readonly state: CpuStateName;
  /** `rt.onlineCpus()`, and whether it lists the CPU. */
  readonly online: readonly number[];
  readonly listed: boolean;
  /** `rt.stats().cpus[cpu]`: undefined if missing, a string if stats() threw. */
  readonly stats: CpuStatsView | undefined | string;
  readonly worker: WorkerStanding;
}

/**
 * Reads a CPU's views. `seen` passes a stats() and onlineCpus() the caller read already (to
 * check every CPU against the same ones); without it they are read here, and a stats() that
 * throws is recorded, for the checks to report.
 */
export function readCpu(rt: CpuView, cpu: number, seen?: { readonly stats: StatsView; readonly online: readonly number[] }): CpuReading {
  const online = seen?.online ?? rt.onlineCpus();
  let stats: CpuReading['stats'];
  try {
    stats = (seen?.stats ?? rt.stats()).cpus[cpu];
  } catch (error) {
    stats = `threw ${describeError(error)}`;
  }
  return { cpu, state: rt.cpuState(cpu), online, listed: online.includes(cpu), stats, worker: workerStanding(rt, cpu) };
}

/** The step stats() names for the CPU, or undefined if it does not. */
export function stepOf(reading: CpuReading): string | undefined {
  return typeof reading.stats === 'object' ? reading.stats.step : undefined;
}

/** Everything the reading holds, for a problem's message. */
export function describeCpu(r: CpuReading): string {
  const stats = r.stats === undefined ? 'missing' : typeof r.stats === 'string' ? r.stats : `state ${r.stats.state} at step '${r.stats.step}'`;
  return `cpuState ${r.state}, onlineCpus() [${r.online.join(', ')}], stats().cpus[${r.cpu}] ${stats}, worker ${r.worker}`;
}

/** stats() reports the CPU, in the state cpuState gives. */
export function statsProblem(r: CpuReading): string | undefined {
  if (typeof r.stats === 'object' && r.stats.state === r.state) return undefined;
  return `CPU ${r.cpu}: stats() disagrees with cpuState (${describeCpu(r)})`;
}

/** onlineCpus() lists the CPU exactly when cpuState says online. */
export function listingProblem(r: CpuReading): string | undefined {
  if (r.state === 'online' && !r.listed) return `CPU ${r.cpu} is online by cpuState but onlineCpus() leaves it out (${describeCpu(r)})`;
  if (r.state !== 'online' && r.listed) return `CPU ${r.cpu} is ${r.state}, yet onlineCpus() lists it (${describeCpu(r)})`;
  return undefined;
}

/** A CPU that is up: online, listed by onlineCpus(), having run every step up to `lastStep`, the last of the table. */
export function onlineProblem(r: CpuReading, lastStep: string): string | undefined {
  if (r.state !== 'online') return `CPU ${r.cpu} is ${r.state}, not online (${describeCpu(r)})`;
  const listing = listingProblem(r);
  if (listing !== undefined) return listing;
  const step = stepOf(r);
  if (step !== lastStep) return `CPU ${r.cpu} is online but its last step is '${step ?? 'unknown'}', not '${lastStep}', the last of the table (${describeCpu(r)})`;
  return undefined;
}

/** A CPU that is down: offline, left out of onlineCpus(), its worker blocked or gone. */
export function offlineProblem(r: CpuReading): string | undefined {
  if (r.state !== 'offline') return `CPU ${r.cpu} is ${r.state}, not offline (${describeCpu(r)})`;
  const listing = listingProblem(r);
  if (listing !== undefined) return listing;
  if (r.worker === 'running') return `CPU ${r.cpu} is offline but its worker is running: it must be blocked (dormant) or gone (${describeCpu(r)})`;
  return undefined;
}

/** A CPU at rest: fully online or fully offline, its worker running exactly when it is online. */
export function restProblem(r: CpuReading): string | undefined {
  if (r.state !== (r.listed ? 'online' : 'offline')) return `CPU ${r.cpu} is ${r.state}, neither fully online nor fully offline (${describeCpu(r)})`;
  if ((r.worker === 'running') !== r.listed) return `CPU ${r.cpu} is ${r.state} but its worker is ${r.worker} (${describeCpu(r)})`;
  return undefined;
}

/** A thread that must be parked (its CPU is down, or it was parked by hand). `when` says when it was looked at. */
export function parkedProblem(thread: ThreadView, when: string): string | undefined {
  return thread.state === 'parked' ? undefined : `${thread.name} was ${thread.state}, not parked, ${when}`;
}

/** A thread that must stand still: parked at `before`, and no unit of work done up to `after`. */
export function frozenProblems(before: ThreadView, after: ThreadView, when: string): string[] {
  const problems: string[] = [];
  const parked = parkedProblem(before, when);
  if (parked !== undefined) problems.push(parked);
  if (after.iterations !== before.iterations) problems.push(`${before.name} advanced from ${before.iterations} to ${after.iterations} iterations ${when}`);
  return problems;
}

/** A thread that must run: `units` units of work past `from` within `timeoutMs`. */
export async function resumeProblem<H>(rt: ProgressView<H>, thread: H, from: ThreadView, units: number, timeoutMs: number, when: string): Promise<string | undefined> {
  if (await rt.waitForIterations(thread, from.iterations + units, timeoutMs)) return undefined;
  let now: string;
  try {
    now = `it is ${rt.kthreadInfo(thread).state}`;
  } catch (error) {
    now = `kthreadInfo() threw ${describeError(error)}`;
  }
  return `${from.name} did not run ${units === 1 ? 'a unit of work' : `${units} units of work`} within ${timeoutMs} ms ${when} (${now})`;
}

/** What a thread's record says of invariant 1: it did no work while its CPU was not online, and never ran on another CPU. */
export function threadRecordProblems(thread: ThreadView): string[] {
  const problems: string[] = [];
  if (thread.violations > 0) problems.push(`${thread.name} did ${thread.violations} units of work while CPU ${thread.cpu} was not online`);
  if (thread.lastCpu !== thread.cpu) problems.push(`${thread.name} is bound to CPU ${thread.cpu} but last ran on CPU ${thread.lastCpu}`);
  return problems;
}

/** Invariant 1 as the workers count it (`stats().violations`): no more than the `seen` already reported. */
export function workerViolationsProblem(count: number, seen = 0): string | undefined {
  if (count <= seen) return undefined;
  return `bound threads ran ${count - seen} units of work while their CPU was not online (stats().violations = ${count})`;
}
