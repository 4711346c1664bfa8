/**
 * The controller's side of the job runtime: per-CPU work queues that survive CPUs going
 * down and workers dying, after the kernel's workqueues. Where a job is, from queueWork()
 * until its promise settles, is told in job.ts. This class is what runtime.ts holds; it
 * composes the rooms, each in its own file, and adds nothing of its own:
 *
 *   submission.ts  queueWork(): checked by options.ts, placed by placement.ts, armed
 *   queues.ts      the controller's FIFOs, per CPU and shared
 *   placement.ts   pure: which FIFO, which CPUs get the shared jobs, each CPU's window
 *   handover.ts    the once-a-turn hand-over of queued jobs, posted on the job ports
 *   slots.ts       each CPU's claim slots, through protocol/job-claim.ts
 *   outcomes.ts    an outcome from a kworker; an abort or timeout
 *   migration.ts   CPU_DEAD, a CPU left part-way, a worker gone
 *   drain.ts       settling (the ledger), drain(), and rejecting unstarted jobs at shutdown
 *   backpressure.ts  needsDrain and 'drain', after piscina's
 *   stats.ts       counters and what stats() shows
 *   cpus.ts        the CPU state words as placement reads them
 *
 * Everything here runs on the controller's one thread; the only other writer it meets is
 * the kworker, through the claim words.
 */

import type { MessagePort } from 'node:worker_threads';
import type { BackpressureEvent } from '../trace/delivery.js';
import type { TraceSink } from '../trace/events.js';
import { Latency } from '../controller/latency.js';
import type { JobOutcome, ReturnedJob } from '../protocol/jobs.js';
import type { Layout } from '../protocol/layout.js';
import { Backpressure } from './backpressure.js';
import { JobCpus } from './cpus.js';
import { Ledger, rejectUnstarted } from './drain.js';
import { Handover } from './handover.js';
import { Migration } from './migration.js';
import { Outcomes } from './outcomes.js';
import { JobQueues } from './queues.js';
import { CpuSlots } from './slots.js';
import { cpuJobStats, describeOutstanding, jobStats, newCounts, type CpuJobStats, type JobStats } from './stats.js';
import { Submission } from './submission.js';
import { JobTimes } from './times.js';

export type { CpuJobStats, JobCounts, JobStats } from './stats.js';
export type { TimeSummary } from './times.js';

export interface WorkqueueHost {
  readonly words: Int32Array;
  readonly layout: Layout;
  /** The defineJob exports of the runtime's modules. */
  readonly jobNames: ReadonlySet<string>;
  /** Jobs that may wait in the controller's queues (not yet handed to a CPU). */
  readonly maxQueue: number;
  /** Takes back the arguments of revoked jobs that carried transferables, from a live worker. */
  takeBack(cpu: number, ids: readonly number[]): Promise<readonly ReturnedJob[]>;
  trace: TraceSink;
  /** Emits a backpressure event to the runtime's listeners. */
  backpressure(event: BackpressureEvent): void;
}

export class Workqueue {
  private readonly counts = newCounts();
  private readonly latency = new Latency();
  private readonly times = new JobTimes();
  private readonly cpus: JobCpus;
  private readonly queues: JobQueues;
  private readonly slots: CpuSlots;
  private readonly ledger: Ledger;
  private readonly handover: Handover;
  private readonly outcomes: Outcomes;
  private readonly migration: Migration;
  private readonly submission: Submission;
  private readonly backpressure: Backpressure;

  constructor(host: WorkqueueHost) {
    const { words, layout, jobNames, maxQueue } = host;
    const { counts, latency, times } = this;
    const cpus = (this.cpus = new JobCpus(words, layout));
    const queues = (this.queues = new JobQueues(layout.ncpus));
    // A freed slot may be filled: slots.ts calls back rather than knowing the hand-over.
    const slots = (this.slots = new CpuSlots({ words, layout, freed: () => this.handover.schedule() }));
    const backpressure = (this.backpressure = new Backpressure({ queues, room: () => this.handover.room(), emit: host.backpressure }));
    const pressure = (): void => backpressure.update();
    const ledger = (this.ledger = new Ledger({ occupied: () => slots.occupied, outstanding: () => describeOutstanding(queues, slots, cpus), settled: pressure }));
    const handover = (this.handover = new Handover({ cpus, queues, slots, ledger, counts, pumped: pressure }));
    const outcomes = (this.outcomes = new Outcomes({ words, layout, queues, slots, ledger, counts, latency, times }));
    this.migration = new Migration({ queues, slots, ledger, counts, takeBack: host.takeBack, wake: () => handover.schedule(), trace: host.trace });
    this.submission = new Submission({
      jobNames,
      maxQueue,
      cpus,
      queues,
      ledger,
      counts,
      room: () => handover.room(),
      wake: () => {
        handover.schedule();
        backpressure.update();
      },
      cancel: (job, reason, cause) => outcomes.cancel(job, reason, cause),
    });
  }

  /** Throws a ConfigError for a bad name or options; every other refusal is a rejected promise. */
  submit(rawName: unknown, args: unknown, options: unknown): Promise<unknown> {
    return this.submission.submit(rawName, args, options);
  }

  /** A job's outcome from the job port of `cpu`. */
  outcome(cpu: number, outcome: JobOutcome): void {
    this.outcomes.outcome(cpu, outcome);
  }

  // ------------------------------------------------------------------ hotplug and workers

  /** A CPU's worker (new, or replacing one) and its job port: every claim slot starts empty. */
  attach(cpu: number, port: MessagePort): void {
    this.handover.attach(cpu, port);
  }

  /** A CPU is ONLINE (up, or rolled back to online): hand it work. */
  cpuOnline(cpu: number): void {
    this.cpus.markOnline(cpu);
    this.handover.schedule();
  }

  /**
   * A CPU was left between online and offline by a rollback that failed part-way: it takes
   * no jobs until an operation completes it. The jobs handed to it run there (its kworker
   * runs while its threads do); the ones waiting for it are treated as for a CPU that went
   * down: those that may run elsewhere go to the front of the shared queue, strict ones wait
   * for it or fail, as their caller chose.
   */
  cpuUnavailable(cpu: number): void {
    this.cpus.markPartWay(cpu);
    this.migration.requeue(cpu, [], 'was left part-way by a failed rollback');
  }

  /**
   * CPU_DEAD of the 2012 LKML proposal: the CPU's kworker has parked (or, under recreate, exited) after
   * finishing the job it was running, so every job still handed to the CPU is untaken.
   * Revoke them all and queue them again, with the jobs that waited for this CPU: the ones
   * that may run elsewhere go to the front of the shared queue, strict ones wait for the
   * CPU or fail, as their caller chose.
   */
  cpuDead(cpu: number): Promise<void> {
    return this.migration.cpuDead(cpu);
  }

  /**
   * The CPU's worker is gone. `died` says why if it died (else it was ended on purpose, and
   * nothing of it should be left). Every outcome it posted has been taken already, so a job
   * it had taken without an outcome was running when it died: that one alone is rejected.
   */
  workerGone(cpu: number, died: string | undefined, failure: 'worker-died' | 'soft-lockup' = 'worker-died'): void {
    this.handover.detach(cpu);
    this.migration.workerGone(cpu, died, failure);
  }

  // ------------------------------------------------------------------ drain and shutdown

  /**
   * Resolves once every job submitted so far has settled and no job runs any more; rejects
   * after `timeoutMs` (undefined or Infinity: waits as long as it takes).
   */
  drain(timeoutMs?: number): Promise<void> {
    return this.ledger.drain(timeoutMs);
  }

  /**
   * shutdown(), first half: take no new jobs, and reject every job that has not started.
   * Jobs already taken keep running; their kworkers finish them before they stop.
   */
  close(): void {
    this.submission.close();
    rejectUnstarted(this.queues, this.slots, this.ledger, this.counts, this.cpus.count);
    this.backpressure.close();
  }

  /** piscina's needsDrain: a job queued now would wait (backpressure.ts). */
  get needsDrain(): boolean {
    return this.backpressure.needsDrain;
  }

  // ------------------------------------------------------------------ observation

  stats(): JobStats {
    return jobStats(this.counts, this.queues, this.slots, this.latency.summary(), this.times.summary());
  }

  /** The job CPU `cpu`'s kworker has taken and not reported yet (the one running), if any. */
  runningOn(cpu: number): { readonly name: string; readonly id: number; readonly settled: boolean } | undefined {
    return this.slots.taken(cpu)[0];
  }

  cpuStats(cpu: number): CpuJobStats {
    return cpuJobStats(cpu, this.queues, this.slots);
  }
}
