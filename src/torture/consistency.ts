/**
 * The checks the run makes after every operation, beyond the workers' own count of threads
 * that ran on a CPU that was not online:
 *
 * - `rt.stats()` answers (it must never throw);
 * - every CPU that no operation is moving is seen the same way by `cpuState`, `onlineCpus()`
 *   and `stats()`, and an online one has run every step of the table;
 * - a CPU is part-way (down-prepare or dead) only after a rollback that failed said so;
 * - every online CPU has each of its per-CPU threads, running.
 *
 * The first three are exact, and are the checks the demo and the tests make too
 * (common/invariants.ts): only the controller writes the CPU state word and the step
 * positions, and this check reads them in one synchronous turn. Two things the runtime
 * mends asynchronously, under its hotplug lock, are another matter: a failed CPU stays
 * listed online until the runtime next takes the lock, and a lost per-CPU thread is reaped
 * and recreated (one that was finishing a job when its CPU's down timed out only once it
 * exits). Each is a violation only if it is still so a window later, on the progress clock,
 * not counting time during which the lock may have been held for the run's operations, nor
 * time during which a job the run injected held that CPU (a spinning job, or one killing
 * its worker, lets no thread of the CPU run).
 */

import { describeError } from '../describe-value.js';
import { KWORKER_EXPORT } from '../protocol/control-plane.js';
import type { Runtime, RuntimeStats } from '../index.js';
import { describeCpu, listingProblem, onlineProblem, readCpu, statsProblem, stepOf } from '../common/invariants.js';
import type { Busy } from './busy.js';
import type { ProgressClock } from './progress-clock.js';
import type { StepTable } from './steps.js';
import type { Turns } from './turns.js';

/** The per-CPU thread groups of a torture run, by export: the runtime's job kworker, and torture's own. */
const PER_CPU_NAMES: Readonly<Record<string, string>> = { [KWORKER_EXPORT]: 'kworker/%u', tortureKworker: 'tkworker/%u' };
export const PER_CPU_FNS: readonly string[] = Object.keys(PER_CPU_NAMES);

/** The states a CPU may be left in by a rollback that itself failed. */
export const PART_WAY_STATES: readonly string[] = ['down-prepare', 'dead'];

export interface ConsistencyContext {
  readonly cpus: number;
  readonly clock: ProgressClock;
  readonly steps: StepTable;
  readonly turns: Turns;
  /** Whether a job the run injected holds `cpu` (it spins, or it is killing the worker). */
  held(cpu: number): boolean;
  /** How long a per-CPU thread may stay missing or exited on an online CPU (progress ms). */
  readonly windowMs: number;
  /** Time the run's hotplug turns were under way, and time any operation that takes the hotplug lock was. */
  readonly turnsBusy: Busy;
  readonly lockBusy: Busy;
}

interface Lingering {
  readonly since: number;
  readonly windowMs: number;
  /** Time that does not count against the window: `busy` then. */
  readonly busy: Busy;
  readonly busyAtSince: number;
}

export class Consistency {
  /** CPUs a rollback that failed left part-way, as the operation's error said. */
  readonly partWay = new Set<number>();
  private readonly lingering = new Map<string, Lingering>();

  constructor(private readonly ctx: ConsistencyContext) {}

  /** The first violation found, or undefined. */
  check(rt: Runtime): string | undefined {
    let stats: RuntimeStats;
    let online: number[];
    try {
      stats = rt.stats();
      online = rt.onlineCpus();
    } catch (error) {
      return `rt.stats() or rt.onlineCpus() threw: ${describeError(error)}`;
    }
    const seen = new Set<string>();
    for (let cpu = 0; cpu < this.ctx.cpus; cpu++) {
      if (this.ctx.turns.touches(cpu)) continue;
      const found = this.checkCpu(rt, cpu, stats, online, seen);
      if (found !== undefined) return found;
    }
    for (const key of this.lingering.keys()) if (!seen.has(key)) this.lingering.delete(key);
    return undefined;
  }

  /** Whether a per-CPU thread problem is still waiting out its window. */
  get pending(): number {
    return this.lingering.size;
  }

  private checkCpu(rt: Runtime, cpu: number, stats: RuntimeStats, online: readonly number[], seen: Set<string>): string | undefined {
    const reading = readCpu(rt, cpu, { stats, online });
    const disagrees = statsProblem(reading);
    if (disagrees !== undefined) return disagrees;
    const { state, listed } = reading;
    if (!PART_WAY_STATES.includes(state)) this.partWay.delete(cpu);
    if (state === 'failed') {
      // Its worker died; the runtime forgets its steps once it next takes the hotplug lock.
      return this.linger(seen, `${cpu}:failed-listed`, listed, cpu, `CPU ${cpu} is failed, yet onlineCpus() still lists it (${describeCpu(reading)})`, this.ctx.windowMs, this.ctx.lockBusy);
    }
    if (state === 'online') return onlineProblem(reading, this.ctx.steps.last()) ?? this.checkPerCpuThreads(rt, cpu, seen);
    const listing = listingProblem(reading);
    if (listing !== undefined) return listing;
    if (state === 'offline') return undefined;
    if (!PART_WAY_STATES.includes(state) || !this.partWay.has(cpu)) {
      return `CPU ${cpu} is ${state} while no operation is moving it, and no failed rollback left it there (${describeCpu(reading)})`;
    }
    const step = stepOf(reading);
    if (step === undefined || !this.ctx.steps.has(step) || step === this.ctx.steps.last()) {
      return `CPU ${cpu} was left part-way by a failed rollback, but stats() does not name a step short of the last (${describeCpu(reading)})`;
    }
    return undefined;
  }

  private checkPerCpuThreads(rt: Runtime, cpu: number, seen: Set<string>): string | undefined {
    for (const problem of perCpuThreadProblems(rt, cpu)) {
      const found = this.linger(seen, `${cpu}:${problem.key}`, true, cpu, problem.what, problem.parked ? 2 * this.ctx.windowMs : this.ctx.windowMs, this.ctx.turnsBusy);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Records a problem that may be transient; it becomes a violation once it has lasted
   * `windowMs` of progress time, not counting time `busy` was, nor time during which an
   * injected job held the CPU.
   */
  private linger(seen: Set<string>, key: string, present: boolean, cpu: number, what: string, windowMs: number, busy: Busy): string | undefined {
    if (!present) return undefined;
    seen.add(key);
    const now = this.ctx.clock.now();
    const known = this.lingering.get(key);
    if (known === undefined || this.ctx.held(cpu)) {
      this.lingering.set(key, { since: now, windowMs, busy, busyAtSince: busy.total() });
      return undefined;
    }
    const lasted = now - known.since - (busy.total() - known.busyAtSince);
    if (lasted < known.windowMs) return undefined;
    return `${what}, and still so ${Math.round(lasted)} ms (of controller progress, not counting the run's hotplug operations) after the run first saw it; it may last at most ${known.windowMs} ms`;
  }
}

export interface PerCpuThreadProblem {
  readonly key: string;
  /** Parked (or parking) rather than missing or exited: it only has to be scheduled again. */
  readonly parked: boolean;
  readonly what: string;
}

/**
 * What is wrong, now, with the per-CPU threads of online CPU `cpu`: one missing or exited,
 * or parked. A parked per-CPU thread on an online CPU is one that its CPU's release has not
 * reached yet: no actor parks these by hand, and it runs again as soon as its worker runs.
 */
export function perCpuThreadProblems(rt: Runtime, cpu: number): PerCpuThreadProblem[] {
  const threads = rt.kthreadList(cpu);
  const problems: PerCpuThreadProblem[] = [];
  for (const fn of PER_CPU_FNS) {
    const mine = threads.filter((t) => t.fn === fn);
    const states = mine.map((t) => {
      try {
        return rt.kthreadInfo(t).state;
      } catch {
        return 'exited'; // lost between the list and the look-up: as good as exited
      }
    });
    const name = PER_CPU_NAMES[fn]!.replaceAll('%u', String(cpu));
    const live = states.filter((s) => s !== 'exited');
    if (live.length === 0) {
      const what = mine.length === 0 ? `has no ${name}` : `has only an exited ${name}`;
      problems.push({ key: `${fn}:missing`, parked: false, what: `online CPU ${cpu} ${what}` });
    } else if (live.every((s) => s === 'parked' || s === 'parking')) {
      problems.push({ key: `${fn}:parked`, parked: true, what: `online CPU ${cpu} has its ${name} ${live.join(', ')}` });
    }
  }
  return problems;
}
