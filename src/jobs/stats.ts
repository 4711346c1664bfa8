/**
 * What the job runtime shows of itself: the counters (each bumped by the room that decides
 * the outcome it counts), rt.stats().jobs and each CPU's jobs, and what a drain() that timed
 * out still waited for. Observation only: nothing here changes a job.
 */

import type { LatencySummary } from '../controller/latency.js';
import type { TimeSummary } from './times.js';
import type { JobCpus } from './cpus.js';
import type { JobQueues } from './queues.js';
import type { CpuSlots } from './slots.js';

export interface JobCounts {
  /** Accepted by queueWork(). */
  submitted: number;
  /** Ran and returned a result. */
  completed: number;
  /** Ran and threw. */
  threw: number;
  aborted: number;
  timedOut: number;
  /**
   * Refused without running: by queueWork() (the queue was full, or a strict job's CPU was
   * offline), or later: a strict job with whenOffline 'fail' whose CPU went away before it
   * started, or a job whose arguments could not be sent to a worker.
   */
  refused: number;
  /** Moved off a CPU that went down or died, before they started. */
  migrated: number;
  /** Running when their CPU's worker died: rejected, the only jobs a death costs. */
  diedRunning: number;
  /** Running when the watchdog failed their CPU as stuck (reason 'soft-lockup'). */
  lockedUp: number;
  /** Transferred arguments lost with a worker that died before the job started. */
  argsLost: number;
  /** Rejected by shutdown(). */
  shutdown: number;
}

export interface JobStats extends JobCounts {
  /** Waiting in the controller's queues now. */
  readonly queued: number;
  /** Handed to a CPU now (taken or not yet). */
  readonly handed: number;
  /** From queueWork() to the promise settling, for the jobs that ran to an outcome. */
  readonly latency: LatencySummary;
  /** Of those, from queueWork() until a CPU started the job (piscina's waitTime). */
  readonly waitTime: TimeSummary;
  /** Of those, from the job's start until it ended (piscina's runTime). */
  readonly runTime: TimeSummary;
}

export interface CpuJobStats {
  /** Jobs whose outcome came back from this CPU. */
  readonly ran: number;
  /** Handed to this CPU now: the one running, if any, and those waiting there to start. */
  readonly handed: number;
  /** Of those, taken by the CPU's kworker and not yet reported: 0 or 1, the job running. */
  readonly running: number;
  /** Waiting for this CPU in particular (preferred or strict affinity). */
  readonly queued: number;
}

export function newCounts(): JobCounts {
  return { submitted: 0, completed: 0, threw: 0, aborted: 0, timedOut: 0, refused: 0, migrated: 0, diedRunning: 0, lockedUp: 0, argsLost: 0, shutdown: 0 };
}

export function jobStats(counts: JobCounts, queues: JobQueues, slots: CpuSlots, latency: LatencySummary, times: { readonly waitTime: TimeSummary; readonly runTime: TimeSummary }): JobStats {
  return { ...counts, queued: queues.waiting, handed: slots.occupied, latency, ...times };
}

export function cpuJobStats(cpu: number, queues: JobQueues, slots: CpuSlots): CpuJobStats {
  return { ran: slots.ranOn(cpu), handed: slots.inflight(cpu), running: slots.taken(cpu).length, queued: queues.waitingIn(cpu) };
}

/** What is outstanding, CPU by CPU, for the message of a drain() that timed out. */
export function describeOutstanding(queues: JobQueues, slots: CpuSlots, cpus: JobCpus): string {
  const parts = [`${queues.waiting} queued (${queues.waitingIn(queues.shared)} for any CPU)`, `${slots.occupied} handed to CPUs`];
  for (let cpu = 0; cpu < cpus.count; cpu++) {
    const { handed, running, queued } = cpuJobStats(cpu, queues, slots);
    if (handed + queued === 0) continue;
    const offline = !cpus.isUp(cpu);
    parts.push(
      `CPU ${cpu} (${offline ? cpus.describe(cpu) : 'online'}): ${handed} handed (${running} running), ${queued} waiting for it` +
        (offline && queued > 0 ? `; bring it up (rt.cpuUp(${cpu})) or abort them` : ''),
    );
  }
  return parts.join('; ');
}
