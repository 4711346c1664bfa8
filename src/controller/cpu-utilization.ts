/**
 * A CPU's utilisation, after piscina's `utilization` and poolifier's ELU statistics: the
 * event-loop utilisation of the CPU's worker (worker.performance.eventLoopUtilization(), read
 * from the controller), since that worker started.
 *
 * A dormant CPU's worker is blocked in Atomics.wait inside JavaScript, which Node counts as
 * active time. That time is not work: the controller notes the worker's active time when it
 * sees the worker go dormant and again when it sees it awake, and counts what passed between
 * as idle. The figure is then exact to within the few microseconds between the worker
 * blocking (or waking) and the controller seeing it.
 */

import type { EventLoopUtilization } from 'node:perf_hooks';

export interface CpuUtilization {
  /** Time the worker's event loop was busy (running JavaScript, its CPU's kthreads and jobs), in ms. */
  readonly activeMs: number;
  /** Time it was idle, waiting for events, or dormant while its CPU was down, in ms. */
  readonly idleMs: number;
  /** activeMs / (activeMs + idleMs), from 0 to 1; 0 before the worker has run at all. */
  readonly utilization: number;
}

export class WorkerUtilization {
  /** Active time counted while dormant, over the dormancies that ended. */
  private dormantMs = 0;
  /** The active time when the current dormancy began, if the worker is dormant. */
  private sleptAt: number | undefined;

  constructor(private readonly read: () => EventLoopUtilization) {}

  /** The controller saw the worker go dormant. */
  slept(): void {
    this.sleptAt ??= this.read().active;
  }

  /** The controller saw the worker awake again (or gone). */
  woke(): void {
    if (this.sleptAt === undefined) return;
    this.dormantMs += Math.max(0, this.read().active - this.sleptAt);
    this.sleptAt = undefined;
  }

  now(): CpuUtilization {
    const { active, idle } = this.read();
    const dormant = this.dormantMs + (this.sleptAt === undefined ? 0 : Math.max(0, active - this.sleptAt));
    const activeMs = Math.max(0, active - dormant);
    const idleMs = idle + (active - activeMs);
    const total = activeMs + idleMs;
    return { activeMs, idleMs, utilization: total > 0 ? Math.min(1, activeMs / total) : 0 };
  }
}
