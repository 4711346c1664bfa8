/**
 * Disruption and churn, in one runtime of `unit` threads: the last CPU goes down and up as fast
 * as the controller can drive it for one window, between two undisturbed windows of the same
 * length. The CPUs that stay online give the disruption (their throughput during the churn as
 * a fraction of the mean of the two undisturbed windows); the window gives the churn rate and
 * the work all threads did meanwhile.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { KthreadHandle, PerCpuThreadGroup, Runtime } from '../src/index.js';
import { readIterations, sum, unitsBetween, unitsPerThread } from './counters.js';
import { waitUntilRunning } from './fast-path.js';

export interface ChurnResult {
  readonly windowMs: number;
  /** The CPU taken down and up; every other CPU stays online. */
  readonly churnedCpu: number;
  readonly stableCpus: readonly number[];
  /** Iterations/s of the stable CPUs' threads together, mean of the windows before and after. */
  readonly undisturbedPerSecond: number;
  /** Iterations/s of the same threads while the churned CPU went down and up. */
  readonly duringChurnPerSecond: number;
  /** duringChurnPerSecond / undisturbedPerSecond: 1 means the churn cost them nothing. */
  readonly disruption: number;
  /** Down/up cycles completed within the churn window. */
  readonly cycles: number;
  readonly cyclesPerSecond: number;
  /** Units done during the churn window, by the stable CPUs and by the churned CPU's thread until each cpuDown parked it. */
  readonly work: { readonly stable: number; readonly churned: number; readonly total: number };
}

export async function measureChurn(rt: Runtime, group: PerCpuThreadGroup, windowMs: number): Promise<ChurnResult> {
  const churnedCpu = rt.cpuCount - 1;
  if (churnedCpu < 1) throw new Error('churn needs at least 2 CPUs: the last online CPU cannot go down');
  const stable = group.threads().filter((t) => t.cpu !== churnedCpu);
  await waitUntilRunning(rt, group.threads());

  const rate = async (): Promise<number> => {
    const before = readIterations(rt, stable);
    const started = performance.now();
    await sleep(windowMs);
    const units = sum(unitsPerThread(before, readIterations(rt, stable)));
    return units / ((performance.now() - started) / 1000);
  };

  const undisturbedBefore = await rate();
  const churn = await churnFor(rt, group, churnedCpu, windowMs, stable);
  const undisturbedAfter = await rate();
  const undisturbedPerSecond = (undisturbedBefore + undisturbedAfter) / 2;
  const duringChurnPerSecond = churn.stableUnits / (churn.elapsedMs / 1000);
  return {
    windowMs,
    churnedCpu,
    stableCpus: stable.map((t) => t.cpu),
    undisturbedPerSecond,
    duringChurnPerSecond,
    disruption: duringChurnPerSecond / undisturbedPerSecond,
    cycles: churn.cycles,
    cyclesPerSecond: churn.cycles / (churn.elapsedMs / 1000),
    work: { stable: churn.stableUnits, churned: churn.churnedUnits, total: churn.stableUnits + churn.churnedUnits },
  };
}

interface ChurnWindow {
  readonly elapsedMs: number;
  readonly cycles: number;
  readonly stableUnits: number;
  readonly churnedUnits: number;
}

/**
 * Drives cpuDown/cpuUp of `cpu` back to back until a timer ends the window. The timer's
 * callback takes the end-of-window readings, so the figures cover exactly the window even
 * though the cycle in flight then is finished afterwards (the CPU must end up online).
 */
async function churnFor(rt: Runtime, group: PerCpuThreadGroup, cpu: number, windowMs: number, stable: readonly KthreadHandle[]): Promise<ChurnWindow> {
  const churned = new ChurnedCpuWork(rt, group, cpu);
  let cycles = 0;
  const stableBefore = readIterations(rt, stable);
  const started = performance.now();
  let end: ChurnWindow | undefined;
  const timer = setTimeout(() => {
    end = {
      elapsedMs: performance.now() - started,
      cycles,
      stableUnits: sum(unitsPerThread(stableBefore, readIterations(rt, stable))),
      churnedUnits: churned.sofar(),
    };
  }, windowMs);

  try {
    churned.open();
    while (end === undefined) {
      churned.mark();
      await rt.cpuDown(cpu);
      churned.close();
      await rt.cpuUp(cpu);
      churned.open();
      if (end === undefined) cycles++;
    }
  } finally {
    clearTimeout(timer);
  }
  return end;
}

/**
 * The work of the churned CPU's thread, summed over the periods its CPU was up. A period
 * opens when cpuUp resolves and closes when cpuDown has resolved: the thread is parked then
 * and its count final. A strategy that stops the thread on cpuDown leaves no count to read
 * after it, so the last reading before cpuDown stands in for it.
 */
class ChurnedCpuWork {
  private done = 0;
  private period: { readonly thread: KthreadHandle; readonly from: number; last: number } | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly group: PerCpuThreadGroup,
    private readonly cpu: number,
  ) {}

  open(): void {
    const thread = this.group.threads().find((t) => t.cpu === this.cpu);
    const count = thread === undefined ? undefined : this.read(thread);
    this.period = thread === undefined || count === undefined ? undefined : { thread, from: count, last: count };
  }

  /** Just before cpuDown: the reading that stands in if the thread is gone after it. */
  mark(): void {
    if (this.period === undefined) return;
    this.period.last = this.read(this.period.thread) ?? this.period.last;
  }

  close(): void {
    this.done += this.current();
    this.period = undefined;
  }

  /** Units so far, the open period included up to now. */
  sofar(): number {
    return this.done + this.current();
  }

  private current(): number {
    const p = this.period;
    return p === undefined ? 0 : unitsBetween(p.from, this.read(p.thread) ?? p.last);
  }

  /** Undefined once the thread has been stopped (its handle is no longer in the group). */
  private read(thread: KthreadHandle): number | undefined {
    return this.group.threads().some((t) => t.id === thread.id) ? this.rt.kthreadInfo(thread).iterations : undefined;
  }
}
