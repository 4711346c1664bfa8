/**
 * How a job that was accepted ends, short of its CPU going away (migration.ts) or the
 * runtime shutting down (drain.ts): the outcome its kworker posted, or an abort or timeout
 * from the caller's side. Each bumps its counter and settles the job through the ledger.
 */

import { JobError, type JobFailure } from '../errors.js';
import type { Latency } from '../controller/latency.js';
import type { JobTimes } from './times.js';
import { AbortReason, requestAbort, type AbortReasonValue } from '../protocol/job-claim.js';
import type { JobOutcome } from '../protocol/jobs.js';
import { cpuBase, type Layout } from '../protocol/layout.js';
import type { Ledger } from './drain.js';
import type { Job } from './job.js';
import type { JobQueues } from './queues.js';
import type { CpuSlots } from './slots.js';
import type { JobCounts } from './stats.js';

export interface OutcomesHost {
  readonly words: Int32Array;
  readonly layout: Layout;
  readonly queues: JobQueues;
  readonly slots: CpuSlots;
  readonly ledger: Ledger;
  readonly counts: JobCounts;
  /** From queueWork() to the promise settling, for the jobs that ran to an outcome. */
  readonly latency: Latency;
  /** Their wait and run times. */
  readonly times: JobTimes;
}

export class Outcomes {
  constructor(private readonly host: OutcomesHost) {}

  /**
   * A job's outcome from the job port of `cpu`. One that is not in a slot of that CPU any
   * more (its worker was declared gone first) is ignored: its job was settled then.
   */
  outcome(cpu: number, outcome: JobOutcome): void {
    const { slots, ledger, counts } = this.host;
    const job = slots.job(outcome.id);
    if (job === undefined || job.handedTo !== cpu) return;
    slots.release(job);
    slots.ranFor(cpu, outcome.us);
    if (job.settled) {
      ledger.checkIdle(); // it was aborted while running: only its slot was outstanding
      return;
    }
    this.host.latency.record(performance.now() - job.submitted);
    this.host.times.record(job.submitted, outcome.startedAt, outcome.us);
    if (outcome.ok) {
      counts.completed++;
      ledger.settle(job, undefined, outcome.value);
      return;
    }
    counts.threw++;
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    ledger.settle(job, new JobError(`job '${job.name}' (id ${job.id}) threw on CPU ${cpu}: ${message}`, { job: job.name, reason: 'threw', started: true, id: job.id, cpu, cause: outcome.error }));
  }

  /**
   * Abort or timeout: a queued job is dropped and never runs; a handed one is revoked if the
   * kworker has not taken it; a taken one is asked to stop through the CPU's abort line. The
   * job's promise rejects at once either way; a taken job's slot stays occupied until its
   * outcome comes back, which is then ignored.
   */
  cancel(job: Job, reason: AbortReasonValue, cause: unknown): void {
    if (job.settled) return;
    const { queues, slots, ledger, counts } = this.host;
    const timedOut = reason === AbortReason.TIMED_OUT;
    const failure: JobFailure = timedOut ? 'timeout' : 'aborted';
    const why = timedOut ? 'ran past its timeoutMs' : 'was aborted by its AbortSignal';
    if (timedOut) counts.timedOut++;
    else counts.aborted++;
    const cpu = job.handedTo;
    const notStarted = (on: number | undefined): JobError =>
      new JobError(`job '${job.name}' (id ${job.id}) ${why} before it started; it did not run`, { job: job.name, reason: failure, started: false, id: job.id, cpu: on, cause });
    if (cpu < 0) {
      // Queued (or moving between CPUs): it leaves the counts now and its FIFO when reached.
      queues.unqueue(job);
      ledger.settle(job, notStarted(undefined));
      return;
    }
    if (slots.revoke(job)) {
      slots.release(job);
      ledger.settle(job, notStarted(cpu));
      return;
    }
    requestAbort(this.host.words, cpuBase(this.host.layout, cpu), job.id, reason);
    ledger.settle(
      job,
      new JobError(`job '${job.name}' (id ${job.id}) ${why} while running on CPU ${cpu}; it has been asked to stop (ctx.signal)`, {
        job: job.name,
        reason: failure,
        started: true,
        id: job.id,
        cpu,
        cause,
      }),
    );
  }
}
