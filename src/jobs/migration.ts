/**
 * Moving jobs off a CPU that can no longer run them: at CPU_DEAD, when a failed rollback
 * leaves it part-way, and when its worker is gone. The seed's rule for CPU_DEAD: "take it
 * away and give it to someone else".
 *
 * Only jobs that have not started move. A job its kworker took runs there to the end, or
 * is lost with its worker and rejected: never run twice. Moved jobs go to the front of a
 * FIFO, ahead of the jobs already there: first those revoked from the CPU's slots (in the
 * order they were submitted), then those that waited for it in its own FIFO. Where each
 * goes is placement's queueFor with the CPU not up: the shared FIFO, or (strict) the CPU's
 * own FIFO to wait for it, or refused, as the caller chose.
 */

import type { TraceSink } from '../trace/events.js';
import { JobError } from '../errors.js';
import type { ReturnedJob } from '../protocol/jobs.js';
import type { Ledger } from './drain.js';
import { MOVING, type Job } from './job.js';
import { queueFor } from './placement.js';
import type { JobQueues } from './queues.js';
import type { CpuSlots } from './slots.js';
import type { JobCounts } from './stats.js';

export interface MigrationHost {
  readonly queues: JobQueues;
  readonly slots: CpuSlots;
  readonly ledger: Ledger;
  readonly counts: JobCounts;
  /** Takes back the arguments of revoked jobs that carried transferables, from a live worker. */
  takeBack(cpu: number, ids: readonly number[]): Promise<readonly ReturnedJob[]>;
  /** Moved jobs wait: run the hand-over. */
  wake(): void;
  trace: TraceSink;
}

export class Migration {
  constructor(private readonly host: MigrationHost) {}

  /**
   * CPU_DEAD: the CPU's kworker has parked (or, under recreate, exited) after finishing the
   * job it was running, so every job still handed to the CPU is untaken. Revoke them all and
   * queue them again, with the jobs that waited for this CPU. A job whose transferables went
   * to the CPU's worker moves only once they come back from it (the worker is alive: it is
   * dormant only after this step); meanwhile it is MOVING, and an abort just settles it.
   */
  async cpuDead(cpu: number): Promise<void> {
    const unstarted = this.host.slots.revokeAll(cpu).unstarted;
    const withTransfer = unstarted.filter((job) => job.transfer !== undefined);
    if (withTransfer.length > 0) {
      for (const job of unstarted) job.handedTo = MOVING;
      const returned = await this.host.takeBack(cpu, withTransfer.map((job) => job.id)).catch(() => [] as readonly ReturnedJob[]);
      const args = new Map(returned.map((r) => [r.id, r.args]));
      for (const job of withTransfer) {
        if (args.has(job.id)) job.args = args.get(job.id);
        else this.argsLost(job, cpu);
      }
    }
    this.requeue(cpu, unstarted.filter((job) => !job.settled), 'went down');
  }

  /**
   * The CPU's worker is gone. `died` says why if it died (else it was ended on purpose, and
   * nothing of it should be left). Every outcome it posted has been taken already, so a job
   * it had taken without an outcome was running when it died: that one alone is rejected.
   * The untaken ones move, except those whose transferred arguments went with the worker.
   */
  workerGone(cpu: number, died: string | undefined, failure: 'worker-died' | 'soft-lockup'): void {
    const { slots, ledger, counts } = this.host;
    const { unstarted, taken } = slots.revokeAll(cpu);
    for (const job of taken) {
      slots.release(job);
      if (job.settled) continue;
      if (died !== undefined && failure === 'soft-lockup') {
        counts.lockedUp++;
        ledger.settle(
          job,
          new JobError(
            `job '${job.name}' (id ${job.id}) was running on CPU ${cpu} when the watchdog found the CPU stuck (${died}); it may have run in part. A job must await now and then (a loop that never awaits holds its CPU), or start the runtime with a larger watchdogMs. The CPU is marked failed; rt.cpuUp(${cpu}) starts a fresh worker`,
            { job: job.name, reason: 'soft-lockup', started: true, id: job.id, cpu },
          ),
        );
      } else if (died !== undefined) {
        counts.diedRunning++;
        ledger.settle(
          job,
          new JobError(`job '${job.name}' (id ${job.id}) was running on CPU ${cpu} when its worker died (${died}); it may have run in part. The CPU is marked failed; rt.cpuUp(${cpu}) starts a fresh worker`, { job: job.name, reason: 'worker-died', started: true, id: job.id, cpu }),
        );
      } else {
        counts.shutdown++;
        ledger.settle(job, new JobError(`job '${job.name}' (id ${job.id}) did not finish before the runtime shut down; its worker was ended`, { job: job.name, reason: 'shutdown', started: true, id: job.id, cpu }));
      }
    }
    for (const job of unstarted) if (job.transfer !== undefined) this.argsLost(job, cpu);
    this.requeue(cpu, unstarted.filter((job) => !job.settled), died === undefined ? 'stopped' : 'died');
    if (died !== undefined) this.host.trace({ type: 'jobs-worker-died', cpu, error: died });
    // A job that settled earlier (aborted or timed out while it ran) held its slot until now:
    // with that slot free, a drain() waiting only for it may resolve.
    ledger.checkIdle();
  }

  private argsLost(job: Job, cpu: number): void {
    this.host.counts.argsLost++;
    this.host.ledger.settle(
      job,
      new JobError(
        `job '${job.name}' (id ${job.id}) had its arguments transferred to CPU ${cpu}, whose worker was lost before the job started; it did not run. Submit it again`,
        { job: job.name, reason: 'args-lost', started: false, id: job.id, cpu },
      ),
    );
  }

  /**
   * Queues revoked jobs of `cpu` again, ahead of the rest, with the jobs that waited for it;
   * `what` says what happened to the CPU, for the message of a strict job that may not wait.
   */
  requeue(cpu: number, revoked: Job[], what: string): void {
    const { queues, ledger, counts } = this.host;
    const jobs = [...revoked, ...queues.takeAll(cpu)];
    const elsewhere: Job[] = [];
    const stay: Job[] = [];
    for (const job of jobs) {
      const queue = queueFor(job, false);
      if (queue === 'shared') elsewhere.push(job);
      else if (queue === 'own') stay.push(job);
      else {
        counts.refused++;
        ledger.settle(
          job,
          new JobError(`job '${job.name}' (id ${job.id}) needs CPU ${cpu} (affinity 'strict', whenOffline 'fail'), which ${what} before the job started; it did not run`, { job: job.name, reason: 'cpu-offline', started: false, id: job.id, cpu }),
        );
      }
    }
    // Front insertion in reverse keeps each group in its order, ahead of what was there.
    for (let i = stay.length - 1; i >= 0; i--) queues.enqueue(stay[i]!, cpu, true);
    for (let i = elsewhere.length - 1; i >= 0; i--) queues.enqueue(elsewhere[i]!, queues.shared, true);
    counts.migrated += elsewhere.length;
    if (jobs.length > 0) this.host.trace({ type: 'jobs-moved', cpu, toAnyCpu: elsewhere.length, waitingForCpu: stay.length });
    this.host.wake();
  }
}
