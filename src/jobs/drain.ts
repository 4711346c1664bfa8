/**
 * Settling jobs, drain() and the first half of shutdown().
 *
 * Every job's promise is settled through Ledger.settle, exactly once (Job.settled guards a
 * second call), so the ledger knows how many jobs are unsettled. The job runtime is idle
 * when none is, and no claim slot is occupied either: a job aborted while running is settled
 * at once, but its kworker still runs it until its outcome comes back, and drain() waits
 * for that too ("none is running").
 */

import { CpuhpError, JobError } from '../errors.js';
import { setLongTimeout } from '../controller/timer.js';
import type { Job } from './job.js';
import type { JobQueues } from './queues.js';
import type { CpuSlots } from './slots.js';
import type { JobCounts } from './stats.js';

export interface LedgerHost {
  /** Jobs in claim slots now, settled or not. */
  occupied(): number;
  /** What is outstanding, for the message of a drain() that timed out. */
  outstanding(): string;
  /** A job settled: the queues may have emptied (backpressure.ts). */
  settled(): void;
}

export class Ledger {
  private unsettled = 0;
  private drainers: Array<() => void> = [];

  constructor(private readonly host: LedgerHost) {}

  /** A job was accepted: it counts until it settles. */
  admit(): void {
    this.unsettled++;
  }

  /** Resolves the job with `value`, or rejects it with `error`, unless it is settled already. */
  settle(job: Job, error: unknown, value?: unknown): void {
    if (job.settled) return;
    this.unsettled--;
    if (error === undefined) job.resolve(value);
    else job.reject(error);
    this.host.settled();
    this.checkIdle();
  }

  private idle(): boolean {
    return this.unsettled === 0 && this.host.occupied() === 0;
  }

  /** Resolves the drainers once idle; called when a job settles or a settled job's slot frees. */
  checkIdle(): void {
    if (!this.idle() || this.drainers.length === 0) return;
    const drainers = this.drainers;
    this.drainers = [];
    for (const resolve of drainers) resolve();
  }

  /**
   * Resolves once every job submitted so far has settled and no job runs any more; rejects
   * after `timeoutMs` (undefined or Infinity: waits as long as it takes).
   */
  drain(timeoutMs?: number): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setLongTimeout(() => {
        this.drainers = this.drainers.filter((d) => d !== done);
        reject(new CpuhpError(`drain() timed out after ${timeoutMs} ms: ${this.host.outstanding()}`, { code: 'ERR_CPUHP_DRAIN_TIMEOUT' }));
      }, timeoutMs ?? Infinity);
      const done = (): void => {
        timer.clear();
        resolve();
      };
      this.drainers.push(done);
    });
  }
}

/**
 * shutdown(), first half: rejects every job that has not started, queued or handed over,
 * in the order they were submitted. Jobs already taken keep running; their kworkers finish
 * them before they stop (the runtime then calls workerGone for each CPU).
 */
export function rejectUnstarted(queues: JobQueues, slots: CpuSlots, ledger: Ledger, counts: JobCounts, ncpus: number): void {
  const notStarted: Job[] = [];
  for (let where = 0; where <= queues.shared; where++) notStarted.push(...queues.takeAll(where));
  for (let cpu = 0; cpu < ncpus; cpu++) notStarted.push(...slots.revokeAll(cpu).unstarted);
  notStarted.sort((a, b) => a.id - b.id);
  for (const job of notStarted) {
    counts.shutdown++;
    ledger.settle(
      job,
      new JobError(`job '${job.name}' (id ${job.id}) did not start before the runtime shut down; it did not run (await rt.drain() before rt.shutdown() to run every queued job)`, { job: job.name, reason: 'shutdown', started: false, id: job.id }),
    );
  }
}
